"""The server errors schemathesis found (tests/api/test_schemathesis.py), each pinned by a plain
test so it cannot come back unnoticed when the fuzzer's draw changes."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.mark.parametrize("pk", ["null", "1.5", "-", "abc"])
def test_redeeming_a_reward_that_is_not_an_id_is_a_404(territory, pk):
    """POST /api/volunteers/rewards/null/redeem/ was a 500 (the id reached the query)."""
    client = APIClient()
    client.force_authenticate(territory.user("resident_a"))
    assert client.post(f"/api/volunteers/rewards/{pk}/redeem/").status_code == 404
