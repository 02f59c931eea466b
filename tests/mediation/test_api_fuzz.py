"""The mediation part of the OpenAPI schema fuzzed like the whole API (tests/api/
test_schemathesis.py, which covers these operations too): as community staff, a mediator and a
resident, with a real dispute to name, no operation answers a server error."""

from __future__ import annotations

import pytest
import schemathesis
from rest_framework.authtoken.models import Token

from mediation import actions
from portal.wsgi import application
from tests.api.test_schemathesis import _fuzz, _operations, keep_connection, no_throttles

__all__ = ["keep_connection", "no_throttles"]


@pytest.mark.parametrize("role", ["community_a", "mediator_a", "resident_a"])
def test_mediation_operations_never_answer_a_server_error(med, no_throttles, keep_connection, role):
    dispute = med.dispute()
    actions.assign_mediator(
        dispute, actor=med.user("community_a"), user=med.user("mediator_a"), kind="community"
    )
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    token = Token.objects.create(user=med.user(role))
    ops = [op for op in _operations(schema) if op.path.startswith("/api/mediation/")]
    assert len(ops) >= 10
    failures: list[str] = []
    for op in ops:
        _fuzz(
            op,
            {"Authorization": f"Token {token.key}"},
            failures,
            {"/api/mediation/disputes/{id}/": [dispute.pk]},
        )
    assert not failures, "\n\n".join(failures)
