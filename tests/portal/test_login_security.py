"""Logins that resist guessing (issue 17, item 1): lockout per account and per client on every
door that takes a password, the lockout in Chinese and its unlock in the admin, client
addresses from the trusted proxies only, staff idle timeout, password rules, the login log."""

from __future__ import annotations

import base64
import random
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InternalError, ProgrammingError, transaction
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from grids.models.roles import Role, RoleAssignment
from portal import security
from portal.models import LoginEvent, User
from portal.security import SEEN_SESSION_KEY
from tests.territory import PASSWORD

LOCKED_ZH = "登录失败次数过多"
LIMIT = 5


@pytest.fixture
def staff(territory):
    return territory.user("community_a")


def _wrong_logins(client: Client, url: str, username: str, n: int, **extra) -> list[int]:
    return [
        client.post(url, {"username": username, "password": "wrong-Pass-1"}, **extra).status_code
        for _ in range(n)
    ]


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_repeated_wrong_passwords_lock_the_account(territory, staff, url):
    """The review: 30 wrong passwords, then the right one logged straight in."""
    client = Client(headers={"accept-language": "zh-hans"})
    codes = _wrong_logins(client, url, staff.username, LIMIT)
    assert codes[:-1] == [200] * (LIMIT - 1) and codes[-1] == 429
    r = client.post(url, {"username": staff.username, "password": PASSWORD})
    assert r.status_code == 429 and LOCKED_ZH in r.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked by this one's failures.
    other = Client()
    r = other.post(url, {"username": "grid_a", "password": PASSWORD})
    assert r.status_code == 302


def test_the_lockout_follows_the_account_across_addresses(territory, staff):
    for n in range(LIMIT):
        Client(REMOTE_ADDR=f"10.0.0.{n + 1}").post(
            "/accounts/login/", {"username": staff.username, "password": "nope-Nope-1"}
        )
    r = Client(REMOTE_ADDR="10.9.9.9").post(
        "/accounts/login/", {"username": staff.username, "password": PASSWORD}
    )
    assert r.status_code == 429


def test_one_address_guessing_many_accounts_is_locked(territory, settings):
    settings.LINLI_LOGIN_CLIENT_LIMIT = 12
    client = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(12):
        client.post("/accounts/login/", {"username": f"nobody{n}", "password": "x-Y-z-123"})
    # The right password of a real account, from that address: refused.
    r = client.post("/accounts/login/", {"username": "grid_a", "password": PASSWORD})
    assert r.status_code == 429
    # From elsewhere the account is fine.
    r = Client(REMOTE_ADDR="203.0.113.8").post(
        "/accounts/login/", {"username": "grid_a", "password": PASSWORD}
    )
    assert r.status_code == 302


def test_forwarded_for_headers_do_not_dodge_the_lockout(territory, staff):
    client = Client(REMOTE_ADDR="198.51.100.1")
    for n in range(LIMIT + 2):
        client.post(
            "/accounts/login/",
            {"username": f"ghost{n}", "password": "x-Y-z-123"},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.1"}


def test_phone_code_failures_count_like_passwords(territory):
    from portal import accounts

    resident = territory.user("resident_a")
    client = Client(headers={"accept-language": "zh-hans"})
    for _ in range(LIMIT):
        r = client.post(
            "/cases/login/", {"phone": resident.phone, "code": "000000", "step": "login"}
        )
    assert r.status_code == 429 and LOCKED_ZH in r.content.decode()
    # Counted under the account's username: the password door is locked too.
    r = client.post("/accounts/login/", {"username": resident.username, "password": PASSWORD})
    assert r.status_code == 429
    assert accounts.account_name(resident.phone) == resident.username


def test_api_token_login_is_locked_out_and_basic_auth_is_off(territory, staff):
    api = APIClient()
    url = "/api/auth/token/"
    r = api.post(url, {"username": staff.username, "password": PASSWORD}, format="json")
    assert r.status_code == 200 and r.json()["token"]
    token = r.json()["token"]
    # The token authenticates; Basic with the right password does not (off by default).
    r = APIClient(headers={"authorization": f"Token {token}"}).get("/api/services/cases/")
    assert r.status_code == 200
    basic = base64.b64encode(f"{staff.username}:{PASSWORD}".encode()).decode()
    r = APIClient(headers={"authorization": f"Basic {basic}"}).get("/api/services/cases/")
    assert r.status_code in (401, 403)
    AccessAttempt.objects.all().delete()
    for _ in range(LIMIT - 1):
        r = api.post(url, {"username": staff.username, "password": "no-No-123"}, format="json")
        assert r.status_code in (401, 403)
    r = api.post(url, {"username": staff.username, "password": "no-No-123"}, format="json")
    assert r.status_code == 429 and r.json()["code"] == "locked_out"
    r = api.post(url, {"username": staff.username, "password": PASSWORD}, format="json")
    assert r.status_code == 429


def test_basic_auth_when_turned_on_is_locked_out_too(territory, staff, monkeypatch):
    from rest_framework.authentication import SessionAuthentication
    from rest_framework.views import APIView

    from portal.api_auth import ExpiringTokenAuthentication, LockoutBasicAuthentication

    # What LINLI_API_BASIC_AUTH=true sets up (DRF reads the setting once, at import).
    monkeypatch.setattr(
        APIView,
        "authentication_classes",
        [SessionAuthentication, ExpiringTokenAuthentication, LockoutBasicAuthentication],
    )

    def basic(password):
        value = base64.b64encode(f"{staff.username}:{password}".encode()).decode()
        return APIClient(headers={"authorization": f"Basic {value}"})

    assert basic(PASSWORD).get("/api/services/cases/").status_code == 200
    for _ in range(LIMIT):
        basic("wrong-Pw-1").get("/api/services/cases/")
    r = basic(PASSWORD).get("/api/services/cases/")
    assert r.status_code == 429


def test_an_expired_token_is_refused(territory, staff, settings):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=staff)
    Token.objects.filter(pk=token.pk).update(created=token.created.replace(year=2000))
    r = APIClient(headers={"authorization": f"Token {token.key}"}).get("/api/services/cases/")
    assert r.status_code in (401, 403)


def test_an_administrator_unlocks_in_the_admin(territory, staff):
    _wrong_logins(Client(), "/accounts/login/", staff.username, LIMIT)
    assert (
        Client()
        .post("/accounts/login/", {"username": staff.username, "password": PASSWORD})
        .status_code
        == 429
    )
    admin = Client()
    admin.force_login(territory.user("superuser"))
    r = admin.get("/admin/axes/accessattempt/")
    assert r.status_code == 200 and staff.username in r.content.decode()
    ids = list(AccessAttempt.objects.values_list("pk", flat=True))
    r = admin.post(
        "/admin/axes/accessattempt/",
        {"action": "unlock", "_selected_action": ids},
    )
    assert r.status_code == 302 and not AccessAttempt.objects.exists()
    r = Client().post("/accounts/login/", {"username": staff.username, "password": PASSWORD})
    assert r.status_code == 302


# --- client address ----------------------------------------------------------------------------


def _request(remote: str, forwarded: str | None = None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_client_ip_trusts_no_header_without_a_configured_proxy(settings):
    settings.LINLI_TRUSTED_PROXY_COUNT = 0
    assert security.client_ip(_request("198.51.100.9", "1.2.3.4")) == "198.51.100.9"


def test_client_ip_behind_the_configured_proxies(settings):
    settings.LINLI_TRUSTED_PROXY_COUNT = 1
    # nginx appended the peer it saw; whatever the client wrote before that is ignored.
    assert security.client_ip(_request("127.0.0.1", "6.6.6.6, 203.0.113.5")) == "203.0.113.5"
    assert security.client_ip(_request("127.0.0.1", "203.0.113.5")) == "203.0.113.5"
    settings.LINLI_TRUSTED_PROXY_COUNT = 2
    chain = "6.6.6.6, 203.0.113.5, 10.0.0.2"  # forged, client, the SLB
    assert security.client_ip(_request("10.0.0.3", chain)) == "203.0.113.5"
    # Fewer hops than configured: the peer, not a forged entry.
    assert security.client_ip(_request("10.0.0.3")) == "10.0.0.3"


def test_anonymous_filing_limit_is_not_dodged_with_forwarded_for(territory, monkeypatch):
    """The review: the per-IP limit on anonymous filing was bypassed with X-Forwarded-For."""
    from services.models import Category
    from services.views import resident

    monkeypatch.setattr(resident, "ANON_PER_IP", (2, 3600))
    category = Category.objects.create(name="道路", code="roads-x")
    # An address and phones of this run only: the limits' counters live in the shared cache.
    salt = random.randrange(10**4)
    address = f"10.{salt // 256 % 256}.{salt % 256}.7"
    client = Client(REMOTE_ADDR=address, headers={"accept-language": "en"})
    codes = []
    for n in range(3):
        data = {
            "case_type": "help",
            "category": category.pk,
            "description": "路灯坏了",
            "place": territory.a.buildings[0].pk,
            "reporter_phone": f"138{salt:04d}{n:04d}",
        }
        codes.append(
            client.post("/cases/new/", data, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code
        )
    assert codes == [302, 302, 400]


# --- sessions and passwords ----------------------------------------------------------------------


def test_staff_sessions_end_after_the_idle_time(territory, staff, settings):
    settings.LINLI_STAFF_IDLE_MINUTES = 30
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
    session = client.session
    session[SEEN_SESSION_KEY] = int(time.time()) - 31 * 60
    session.save()
    r = client.get("/admin/")
    assert r.status_code == 302 and "/login/" in r["Location"]
    assert "_auth_user_id" not in client.session
    assert LoginEvent.objects.filter(user=staff, outcome="logout").exists()


def test_residents_keep_their_session(territory):
    client = Client()
    resident = territory.user("resident_a")
    client.force_login(resident)
    session = client.session
    session[SEEN_SESSION_KEY] = int(time.time()) - 24 * 3600
    session.save()
    assert client.get("/cases/mine/").status_code == 200
    assert client.session.get("_auth_user_id") == str(resident.pk)


@pytest.mark.parametrize(
    "password", ["short1A!", "abcdefghij", "1234567890", "password123", "Zhang.San.01"]
)
def test_weak_passwords_are_refused(db, password):
    if password == "short1A!":
        password = "sh0rt!A"  # seven characters
    user = User(username="zhangsan", display_name="Zhang San")
    with pytest.raises(ValidationError):
        validate_password(password, user)


def test_a_strong_password_passes(db):
    validate_password("Linli-2026-Neighbour", User(username="liming"))


# --- the login log ----------------------------------------------------------------------------------


def test_every_login_attempt_is_logged(territory, staff):
    Client(REMOTE_ADDR="198.51.100.30").post(
        "/accounts/login/", {"username": staff.username, "password": "wrong-Pw-1"}
    )
    Client(REMOTE_ADDR="198.51.100.31").post(
        "/admin/login/", {"username": staff.username, "password": PASSWORD}
    )
    rows = list(LoginEvent.objects.filter(username=staff.username).order_by("at", "pk"))
    assert [(r.outcome, r.ip, r.door, r.user_id) for r in rows] == [
        ("failure", "198.51.100.30", "/accounts/login/", staff.pk),
        ("success", "198.51.100.31", "/admin/login/", staff.pk),
    ]


def test_the_login_log_cannot_be_rewritten(territory, staff):
    Client().post("/accounts/login/", {"username": staff.username, "password": PASSWORD})
    row = LoginEvent.objects.get(user=staff)
    for statement in (
        lambda: LoginEvent.objects.filter(pk=row.pk).update(outcome="failure"),
        lambda: LoginEvent.objects.filter(pk=row.pk).delete(),
    ):
        with (
            pytest.raises((InternalError, ProgrammingError, IntegrityError)),
            transaction.atomic(),
        ):
            statement()
    assert LoginEvent.objects.filter(pk=row.pk, outcome="success").exists()


def test_the_login_log_is_read_by_role_and_scope(territory, staff):
    city_user = User.objects.create_user("city", password=PASSWORD, is_staff=True)
    RoleAssignment.objects.create(user=city_user, role=Role.CITY_STAFF, area=territory.city)
    for key in ("grid_a", "grid_b"):
        Client().post("/accounts/login/", {"username": key, "password": PASSWORD})
    Client().post("/accounts/login/", {"username": "no-such-person", "password": "x"})

    def seen(user) -> set[str]:
        client = Client()
        client.force_login(user)
        r = client.get("/admin/portal/loginevent/")
        if r.status_code != 200:
            return set()
        names = {"grid_a", "grid_b", "no-such-person"}
        return {n for n in names if f">{n}<" in r.content.decode()}

    assert seen(city_user) == {"grid_a", "grid_b", "no-such-person"}
    assert seen(territory.user("superuser")) == {"grid_a", "grid_b", "no-such-person"}
    assert seen(territory.user("community_a")) == {"grid_a"}  # its subtree's accounts only
    assert seen(territory.user("grid_a")) == set()  # not a role that reads the log
    client = Client()
    client.force_login(territory.user("grid_a"))
    assert client.get("/admin/portal/loginevent/").status_code in (302, 403)


def test_purge_keeps_the_legal_minimum(territory, staff, settings):
    from datetime import timedelta

    from django.utils import timezone

    from portal.tasks import purge_login_log

    Client().post("/accounts/login/", {"username": staff.username, "password": PASSWORD})
    settings.LINLI_LOGIN_LOG_DAYS = 1  # below the floor: 180 days still apply
    assert purge_login_log() == 0
    assert LoginEvent.objects.filter(user=staff).exists()
    assert LoginEvent.objects.filter(at__lt=timezone.now() - timedelta(days=180)).count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_token_logins_of_one_account_at_once_get_the_same_token(transactional_territory):
    """Two apps of one account asking for a token at the same moment: both answered, one token
    (before, the second create hit the unique token-per-user row and answered 409)."""
    import threading

    from django.db import connection
    from rest_framework.authtoken.models import Token

    staff = transactional_territory.user("community_a")
    answers: list = []
    barrier = threading.Barrier(4)

    def login():
        try:
            barrier.wait()
            r = APIClient().post(
                "/api/auth/token/",
                {"username": staff.username, "password": PASSWORD},
                format="json",
            )
            answers.append((r.status_code, r.json().get("token")))
        finally:
            connection.close()

    threads = [threading.Thread(target=login) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [code for code, _ in answers] == [200] * 4
    assert len({token for _, token in answers}) == 1
    assert Token.objects.filter(user=staff).count() == 1
