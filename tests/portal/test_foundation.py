"""The skeleton: embedded PostgreSQL mode, settings guards, health check, i18n, seed_demo."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import environ
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import HttpRequest

from grids.models import Area, Household, Resident, RoleAssignment
from portal import embedded
from portal.models import User
from tests.conftest import ROOT, wait_until


def _clean_env(tmp_path: Path, **extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "CELERY_", "DJANGO_", "CACHE_", "LINLI_"))
    }
    env.update({"LINLI_VAR_DIR": str(tmp_path / "var"), "LINLI_READ_DOT_ENV": "false", **extra})
    return env


def _django_stdout(env: dict, code: str) -> str:
    """What `code` prints in a fresh process with Django set up from these variables."""
    return subprocess.run(
        [sys.executable, "-c", f"import django;django.setup();{code}"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return None


def test_embedded_mode_runs_on_the_embedded_postgres_server_with_no_services(tmp_path):
    """What `make run` does, minus the seed: with nothing configured, settings find the server
    started under LINLI_VAR_DIR, a fresh database migrates, and the portal serves."""
    # Not under tmp_path: pytest resets its base directory to mode 0700 whenever a session
    # starts, and the server runs as its own user (embedded_postgres) when tests run as root.
    var = Path(tempfile.mkdtemp(prefix="linli-embedded-")) / "var"
    env = _clean_env(tmp_path, LINLI_VAR_DIR=str(var))
    pgdata = embedded.data_dir(var)

    def start() -> str:  # in a child, as `make test` does: the library leaves atexit hooks
        return subprocess.run(
            [sys.executable, "-m", "portal.embedded", "start", str(pgdata)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout.strip()

    url = start()
    try:
        # A Unix socket directory, no TCP port: pgdata, or a shorter one when that path is too
        # long for a socket (postmaster.pid says which, and settings read it from there).
        config = environ.Env.db_url_config(url)
        assert config["HOST"].startswith("/") and config["PORT"] == ""
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=300,
        )
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            status, body = wait_until(lambda: _get(port, "/"), timeout=30)
            assert status == 200
            assert 'lang="zh-hans"' in body
            status, body = _get(port, "/healthz")
            # The filesystem broker needs no server: embedded mode is healthy on its own.
            assert status == 200, body
            assert json.loads(body)["database"]["ok"] is True
            assert json.loads(body)["broker"]["ok"] is True
        finally:
            server.terminate()
            server.wait(10)
        # A second start finds the server running and the database there: `make run` twice.
        assert start() == url
    finally:
        assert embedded.stop(pgdata)
        assert embedded.running_url(pgdata) is None
        shutil.rmtree(var.parent)


def test_with_no_database_url_and_no_embedded_server_the_error_says_make_run(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "`make run`" in result.stderr
    assert "DATABASE_URL" in result.stderr


def test_a_database_url_other_than_postgresql_is_refused(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_clean_env(tmp_path, DATABASE_URL="mysql://root@127.0.0.1:3306/linli"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_debug_off_without_required_settings_stops_with_a_clear_message(tmp_path, missing):
    env = _clean_env(
        tmp_path,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="x" * 60,
        DJANGO_ALLOWED_HOSTS="linli.example.org",
    )
    del env[missing]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert missing in result.stderr
    assert "docs/configuration.md" in result.stderr


def test_database_broker_and_cache_urls_switch_backends_without_code_change(tmp_path):
    env = _clean_env(
        tmp_path,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/whatever",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/3",
        CACHE_URL="rediscache://127.0.0.1:6379/4",
    )
    # django-redis keeps one client per server: asking twice (no connection made) gives the same.
    code = (
        "from django.conf import settings;from django.core.cache import cache;"
        "print(settings.DATABASES['default']['ENGINE']);print(settings.CELERY_BROKER_URL);"
        "print(settings.CACHES['default']['BACKEND']);"
        "print(cache.client.get_client() is cache.client.get_client(write=False))"
    )
    out = _django_stdout(env, code).split()
    assert out == [
        "django.db.backends.postgresql",
        "redis://127.0.0.1:6379/3",
        "django_redis.cache.RedisCache",
        "True",
    ]


def test_cache_options_in_the_url_win_over_the_defaults(tmp_path):
    """The portal's defaults (short socket timeouts, errors ignored) apply unless CACHE_URL's
    query string says otherwise: an operator's ?socket_timeout=5 is kept."""
    env = _clean_env(
        tmp_path, CACHE_URL="rediscache://127.0.0.1:6379/4?socket_timeout=5&max_connections=40"
    )
    code = "import json;from django.conf import settings;print(json.dumps(settings.CACHES['default']['OPTIONS']))"
    out = _django_stdout(env, code)
    options = json.loads(out)
    assert options["SOCKET_TIMEOUT"] == 5 and options["MAX_CONNECTIONS"] == 40
    assert options["IGNORE_EXCEPTIONS"] is True and options["SOCKET_CONNECT_TIMEOUT"] == 0.5


@pytest.mark.django_db
def test_healthz_is_200_when_database_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    # Whether this and next year have holiday data (tests/services/test_holidays.py): a field
    # for monitoring, which never makes the status fail.
    assert "years_without_data" in body.pop("calendar")
    assert body == {
        "status": "ok",
        "database": {"ok": True, "detail": "ok"},
        "broker": {"ok": True, "detail": "ok"},
    }


@pytest.mark.django_db
def test_healthz_reports_a_stopped_broker_as_503(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["broker"]["ok"] is False
    assert body["database"]["ok"] is True


@pytest.mark.django_db
def test_home_page_is_chinese_by_default_and_english_on_request(client):
    zh = client.get("/")
    assert zh.status_code == 200
    assert "找社区中心" in zh.content.decode() or "邻里" in zh.content.decode()
    assert 'lang="zh-hans"' in zh.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    en = client.get("/")
    assert 'lang="en"' in en.content.decode()
    assert "Find a centre" in en.content.decode()


@pytest.mark.django_db
def test_elder_mode_switch_sticks_in_a_cookie(client):
    response = client.post("/elder-mode/", {"on": "1", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["elder"].value == "1"
    assert 'class="elder"' in client.get("/").content.decode()
    # An off-site "next" is not followed.
    assert (
        client.post("/elder-mode/", {"on": "0", "next": "https://evil.example/"})["Location"] == "/"
    )


def _counts():
    return (
        Area.objects.count(),
        Household.objects.count(),
        Resident.objects.count(),
        User.objects.count(),
        RoleAssignment.objects.count(),
    )


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_covers_every_role(settings):
    settings.DEBUG = True
    call_command("seed_demo", quiet_logins=True)
    first = _counts()
    call_command("seed_demo", quiet_logins=True)
    assert _counts() == first
    assert Area.objects.filter(kind="street").count() == 3
    assert Area.objects.filter(kind="community").count() == 12
    assert set(Area.objects.filter(kind="grid").values_list("grid_level", flat=True)) == {1, 2, 3}
    roles = set(RoleAssignment.objects.values_list("role", flat=True))
    assert roles == {
        "district_staff",
        "street_staff",
        "community_staff",
        "grid_worker",
        "department_handler",
        "centre_operator",
        "unit_member",
        "resident",
    }
    assert User.objects.filter(is_superuser=True).exists()


@pytest.mark.django_db
def test_seed_demo_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo", quiet_logins=True)
    call_command("seed_demo", quiet_logins=True, force=True)
    assert Area.objects.filter(kind="community").count() == 12


def test_task_through_the_redis_broker_runs_in_a_real_worker(celery_worker_process, tmp_path):
    from portal.tasks import ping

    assert ping.app.conf.broker_url.startswith("redis://")
    marker = tmp_path / "pong"
    ping.delay(str(marker))
    wait_until(marker.exists, timeout=30)
    assert marker.read_text() == "pong"
    assert "portal.tasks.ping" in celery_worker_process.output()


@pytest.mark.django_db(transaction=True)  # the scheduler closes its connection
def test_beat_schedule_reaches_the_database_scheduler():
    """Periodic tasks live in the database (django-celery-beat) so staff see them in the admin."""
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    from portal.beat import BEAT_SCHEDULE
    from portal.celery import app

    assert app.conf.beat_schedule == BEAT_SCHEDULE
    DatabaseScheduler(app=app, lazy=True).setup_schedule()
    names = set(PeriodicTask.objects.values_list("name", flat=True))
    assert set(BEAT_SCHEDULE) <= names


@pytest.mark.parametrize(
    "key,doors",
    [
        ("grid_a", {"/cases/grid/", "/admin/"}),
        ("unit_a", {"/centres/unit/"}),
        ("community_a", {"/admin/"}),
        ("resident_a", set()),
    ],
)
def test_home_page_opens_the_doors_to_each_role_s_own_work(client, territory, key, doors):
    from tests.territory import PASSWORD

    client.login(request=HttpRequest(), username=key, password=PASSWORD)
    html = client.get("/").content.decode()
    for door in {"/cases/grid/", "/centres/unit/", "/admin/"}:
        assert (f'href="{door}"' in html) == (door in doors), door
    assert ('id="my-work"' in html) == bool(doors)


def test_split_queues_send_each_kind_of_work_to_its_own_workers(tmp_path):
    """LINLI_SPLIT_QUEUES: the case clock on "cases", outgoing messages on "deliveries" (the
    city's outbox too, though it is a services task), the rest on the default queue."""
    env = _clean_env(tmp_path, LINLI_SPLIT_QUEUES="true")
    code = (
        "import json;from portal.celery import app;r=app.amqp.router;"
        "print(json.dumps({t: r.route({}, t)['queue'].name for t in ["
        "'services.tasks.drain_city_outbox','services.tasks.sweep_deadlines',"
        "'services.tasks.dispatch_case','notifications.tasks.flush_outbox',"
        "'portal.tasks.heartbeat']}))"
    )
    out = _django_stdout(env, code)
    assert json.loads(out) == {
        "services.tasks.drain_city_outbox": "deliveries",
        "services.tasks.sweep_deadlines": "cases",
        "services.tasks.dispatch_case": "cases",
        "notifications.tasks.flush_outbox": "deliveries",
        "portal.tasks.heartbeat": "celery",
    }
