"""The deliberation part of the OpenAPI schema fuzzed like tests/api/test_schemathesis.py (which
walks the whole schema): valid and invalid requests as a resident, community staff, the
superuser and anonymously never answer a server error."""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from django.utils import timezone
from rest_framework.authtoken.models import Token

from deliberation import actions
from portal.wsgi import application
from tests.api.test_schemathesis import _fuzz, keep_connection, no_throttles  # noqa: F401

ROLES = ["resident_a", "community_a", "superuser", None]


@pytest.mark.parametrize("role", ROLES)
def test_deliberation_api_never_answers_a_server_error(world, no_throttles, keep_connection, role):  # noqa: F811
    staff = world.staff
    m = actions.raise_matter(
        actor=staff,
        area=world.building,
        kind=world.kind(),
        title="t",
        description="d",
        source="staff",
    )
    actions.accept_matter(m, actor=staff)
    actions.open_vote(m, actor=staff, closes_at=timezone.now() + timedelta(days=1), plan="p")
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    headers = {}
    if role is not None:
        headers["Authorization"] = f"Token {Token.objects.create(user=world.t.user(role)).key}"
    operations = [
        op.ok()
        for op in schema.get_all_operations()
        if op.ok().path.startswith("/api/deliberation/")
    ]
    assert len(operations) == 16
    failures: list[str] = []
    for operation in operations:
        _fuzz(operation, headers, failures, {"/api/deliberation/matters/{id}/": [m.pk]})
    assert not failures, "\n\n".join(failures)
