"""The whole OpenAPI schema fuzzed (issue 17, item 6): every operation of /api/schema/, with
valid and invalid data that schemathesis draws from the schema, as four roles (a resident, a
grid worker, community staff, the superuser) and anonymously, must never answer a server error.

In-process through the WSGI application (schemathesis.openapi.from_wsgi), inside the test's
database transaction: each request runs in a savepoint that is rolled back, so one example's
writes neither pile up nor hide another's error. Requests per operation and role: twice
LINLI_FUZZ_EXAMPLES (default 3: 6, valid and invalid mixed; under two minutes on two idle
cores). The draw is derandomized (the same cases each run) unless LINLI_FUZZ_RANDOM=1. A
failure names the operation and the request to replay.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from portal.wsgi import application
from tests.services.conftest import build_desk

EXAMPLES = int(os.environ.get("LINLI_FUZZ_EXAMPLES", "3"))
RANDOM = os.environ.get("LINLI_FUZZ_RANDOM") == "1"
ROLES = ["resident_a", "grid_a", "community_a", "superuser", None]


@pytest.fixture
def no_throttles(monkeypatch):
    """Throttles and lockouts are tested in tests/portal/test_login_security.py and
    test_api_hardening.py; here they would only turn the fuzzer's requests into 429s."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "allow_request", lambda self, request, view: True)
    monkeypatch.setattr("portal.ratelimit.hit", lambda *args, **kwargs: False)


@pytest.fixture
def keep_connection():
    """Django's test Client keeps the test's database connection (and its transaction) across
    requests by unhooking close_old_connections; the WSGI application called directly needs
    the same."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _operations(schema):
    ops = [result.ok() for result in schema.get_all_operations()]
    # Logging out last: it deletes the token the other requests use.
    return sorted(ops, key=lambda op: (op.path == "/api/auth/token/" and op.method == "delete",))


def _existing_ids() -> dict[str, list[int]]:
    """Rows that exist, by the path that names them: random ids are nearly always 404s, so half
    the requests to an {id} path name a real case, category, rule or area instead (the bodies of
    transitions and edits are then checked against real rows)."""
    from grids.models import Area
    from services.models import Case, Category, RoutingRule

    def pks(model):
        return list(model.objects.order_by("pk").values_list("pk", flat=True)[:20])

    return {
        "/api/services/cases/{id}/": pks(Case),
        "/api/services/categories/{id}/": pks(Category),
        "/api/services/routing-rules/{id}/": pks(RoutingRule),
        "/api/grids/areas/{id}/": pks(Area),
        "/api/grids/grids/{id}/": pks(Area),
    }


def _fuzz(operation, headers: dict[str, str], failures: list[str], existing: dict) -> None:
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    strategies = [operation.as_strategy(generation_mode=mode) for mode in modes]
    pks = next((ids for prefix, ids in existing.items() if operation.path.startswith(prefix)), [])
    if pks:
        strategies += [
            st.sampled_from(pks).flatmap(
                lambda pk, mode=mode: operation.as_strategy(
                    generation_mode=mode, path_parameters={"id": pk}
                )
            )
            for mode in modes
        ]
    strategy = st.one_of(strategies)

    @settings(
        max_examples=EXAMPLES * 2,
        deadline=None,
        database=None,
        derandomize=not RANDOM,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=strategy)
    def run(case):
        with transaction.atomic():
            try:
                case.call_and_validate(headers=headers, checks=[not_a_server_error])
            finally:
                transaction.set_rollback(True)

    try:
        run()
    except Exception as exc:  # one failure per operation is enough to report it
        failures.append(f"{operation.method.upper()} {operation.path}: {exc}")


@pytest.mark.parametrize("role", ROLES)
def test_no_operation_answers_a_server_error(territory, no_throttles, keep_connection, role):
    desk = build_desk(territory)  # categories and routing rules
    desk.file(description="楼道灯坏了，晚上很黑")
    desk.dispatched()
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    headers = {}
    if role is not None:
        token = Token.objects.create(user=territory.user(role))
        headers["Authorization"] = f"Token {token.key}"
    failures: list[str] = []
    operations = _operations(schema)
    assert len(operations) > 100  # the whole API, not a part that loaded
    existing = _existing_ids()
    for operation in operations:
        _fuzz(operation, headers, failures, existing)
    assert not failures, "\n\n".join(failures)
