"""A day's mix on the portal, for locust (bench/load/run.py starts it; docs/scaling.md has the
figures).

- residents (the most users): file a case through the API (Idempotency-Key, as the app does),
  follow their cases (list, one case), open the public home page;
- grid workers: their list of dispatched / signed / in-progress cases, a case, and a step on
  it (sign for, start, a progress note) with the version they saw;
- desk staff (community, street): the desk's case list (filtered, paged) and case pages;
- leaders: the dashboard page, its figures, the KPI API (these read from the replica).

Users spread over the web processes given in LINLI_LOAD_HOSTS (comma-separated base URLs;
default: locust's --host), as nginx would. The demo seed's accounts (password
linli-demo-2026) act; a refused step (someone else acted first: 400/409) is the portal doing
its job and is counted under its own name, not as an error.
"""

from __future__ import annotations

import os
import random
import re
import uuid

from locust import HttpUser, between, events, task

PASSWORD = os.environ.get("LINLI_LOAD_PASSWORD", "linli-demo-2026")
CATEGORY = int(os.environ.get("LINLI_LOAD_CATEGORY", "1"))
PLACES = [int(p) for p in os.environ.get("LINLI_LOAD_PLACES", "7,11,16").split(",")]
HOSTS: list[str] = []


@events.init.add_listener
def _hosts(environment, **_kw):
    HOSTS.extend(
        h.strip().rstrip("/")
        for h in (os.environ.get("LINLI_LOAD_HOSTS") or environment.host or "").split(",")
        if h.strip()
    )


class PortalUser(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    accounts: tuple[str, ...] = ()

    def on_start(self):
        if HOSTS:
            self.host = random.choice(HOSTS)
            self.client.base_url = self.host
        self.username = random.choice(self.accounts)

    def token_login(self):
        r = self.client.post(
            "/api/auth/token/",
            data={"username": self.username, "password": PASSWORD},
            name="login (token)",
        )
        self.client.headers["Authorization"] = f"Token {r.json()['token']}"

    def session_login(self):
        """The login form (CSRF cookie and token), as a browser does."""
        page = self.client.get("/accounts/login/", name="login page")
        self._plain_cookies()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        with self.client.post(
            "/accounts/login/",
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": csrf.group(1) if csrf else "",
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="login (form)",
            catch_response=True,
        ) as r:
            if "/accounts/login/" in r.url:
                r.failure("still on the login page")
        self._plain_cookies()

    def page(self, path: str, name: str):
        """A staff page: landing on the login page instead is a failure, not a 200."""
        with self.client.get(path, name=name, catch_response=True) as r:
            if r.ok and "/accounts/login/" in r.url:
                r.failure("sent to the login page")
            return r

    def _plain_cookies(self):
        # The cluster runs with DEBUG off: cookies are marked Secure, and this client speaks
        # plain HTTP on loopback (nginx terminates TLS in production). Send them anyway.
        for cookie in self.client.cookies:
            cookie.secure = False


class Resident(PortalUser):
    weight = 6
    accounts = ("resident1", "party1", "volunteer1")

    def on_start(self):
        super().on_start()
        self.token_login()
        self.mine: list[int] = []

    @task(2)
    def file_case(self):
        r = self.client.post(
            "/api/services/cases/",
            json={
                "case_type": random.choice(["help", "consultation", "suggestion"]),
                "category": CATEGORY,
                "place": random.choice(PLACES),
                "description": f"负载测试 {uuid.uuid4().hex[:8]}：小区门口路灯不亮，晚上出行不便",
            },
            headers={"Idempotency-Key": uuid.uuid4().hex},
            name="resident: file case (API)",
        )
        if r.status_code == 201:
            self.mine.append(r.json()["id"])

    @task(4)
    def follow_list(self):
        self.client.get("/api/services/cases/?page_size=20", name="resident: my cases (API)")

    @task(4)
    def follow_case(self):
        if self.mine:
            self.client.get(
                f"/api/services/cases/{random.choice(self.mine[-20:])}/",
                name="resident: one case (API)",
            )

    @task(2)
    def home(self):
        self.client.get("/cases/", name="resident: home page")


class GridWorker(PortalUser):
    weight = 2
    accounts = ("grid1", "grid2")

    def on_start(self):
        super().on_start()
        self.token_login()

    @task
    def act(self):
        for state, action in (
            ("dispatched", "sign_for"),
            ("signed", "start"),
            ("in_progress", "add_progress"),
        ):
            r = self.client.get(
                f"/api/services/cases/?state={state}&page_size=20",
                name="grid: cases by state (API)",
            )
            results = r.json().get("results", []) if r.status_code == 200 else []
            if not results:
                continue
            case = random.choice(results)
            detail = self.client.get(
                f"/api/services/cases/{case['id']}/", name="grid: one case (API)"
            )
            if detail.status_code != 200:
                return
            with self.client.post(
                f"/api/services/cases/{case['id']}/transitions/",
                json={
                    "action": action,
                    "expected_version": detail.json()["version"],
                    "note": "已到现场查看",
                },
                name=f"grid: {action} (API)",
                catch_response=True,
            ) as answer:
                if answer.status_code in (400, 403, 409):
                    # Refused with a reason (another worker first, not this worker's case).
                    answer.success()
                    events.request.fire(
                        request_type="REFUSED",
                        name=f"grid: {action} refused",
                        response_time=answer.elapsed.total_seconds() * 1000,
                        response_length=0,
                        exception=None,
                        context={},
                    )
            return


class Desk(PortalUser):
    weight = 2
    accounts = ("community1", "community2", "street1")

    def on_start(self):
        super().on_start()
        self.session_login()
        self.numbers: list[str] = []

    @task(3)
    def case_list(self):
        page = random.choice(["", "?state=dispatched", "?page=2", "?sort=-created_at"])
        r = self.page(f"/desk/cases/{page}", "desk: case list")
        found = re.findall(r"/desk/c/(\d{13})/", r.text)
        if found:
            self.numbers = found[:30]

    @task(3)
    def case_page(self):
        if self.numbers:
            self.page(f"/desk/c/{random.choice(self.numbers)}/", "desk: case page")

    @task(1)
    def desk_home(self):
        self.page("/desk/", "desk: home")


class Leader(PortalUser):
    weight = 1
    accounts = ("district", "street1")

    def on_start(self):
        super().on_start()
        self.session_login()
        # The KPI API is for API clients (a city's reporting tools): a token of its own.
        r = self.client.post(
            "/api/auth/token/",
            data={"username": self.username, "password": PASSWORD},
            name="login (token)",
        )
        self.api = {"Authorization": f"Token {r.json()['token']}"}

    @task(2)
    def dashboard(self):
        self.page("/dashboard/", "dashboard: page")

    @task(3)
    def figures(self):
        self.page("/dashboard/data/", "dashboard: figures (replica)")

    @task(2)
    def kpis(self):
        self.client.get("/api/services/kpis/", headers=self.api, name="kpi API (replica)")
