"""The workforce endpoints are in the OpenAPI document and survive the fuzzer (the same run as
tests/api/test_schemathesis.py, limited to /api/workforce/ so it is quick here; the whole-API
run covers them too)."""

import pytest
import schemathesis
from rest_framework.authtoken.models import Token

from portal.wsgi import application
from tests.api.test_schemathesis import ROLES, _fuzz, keep_connection, no_throttles  # noqa: F401
from workforce.models import Worker

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_throttles", "keep_connection")]


@pytest.mark.parametrize("role", [*ROLES, "street"])
def test_workforce_operations_answer_no_server_error(staff, people, role):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    headers = {}
    if role is not None:
        token = Token.objects.create(user=staff.user(role))
        headers["Authorization"] = f"Token {token.key}"
    operations = [
        r.ok() for r in schema.get_all_operations() if r.ok().path.startswith("/api/workforce/")
    ]
    assert {op.path for op in operations} == {
        "/api/workforce/workers/",
        "/api/workforce/workers/{id}/",
    }
    existing = {"/api/workforce/workers/{id}/": list(Worker.objects.values_list("pk", flat=True))}
    failures: list[str] = []
    for operation in operations:
        _fuzz(operation, headers, failures, existing)
    assert not failures, "\n\n".join(failures)
