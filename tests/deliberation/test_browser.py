"""A resident votes on the phone (Chromium at 390×844), in the standard and the elder mode:
the matters list, the matter page, the vote and its confirmation, each axe-clean and within
the elder-interface rules; the vote is counted once."""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from deliberation import actions
from deliberation.models import Ballot, Participation
from tests.a11y.sweep import check, report
from tests.conftest import PHONE
from tests.territory import PASSWORD

pytestmark = pytest.mark.browser
# The guide's screenshots (docs/guides/resident.md) when LINLI_GUIDE_SCREENSHOTS=1.
IMG = (
    Path(__file__).resolve().parents[2] / "docs" / "guides" / "img"
    if os.environ.get("LINLI_GUIDE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "linli-screenshots"
)


def _shot(page, name: str) -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / name), full_page=True)


def _phone(chromium, live_server, *, elder: bool):
    context = chromium.new_context(
        viewport=PHONE,
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
        base_url=live_server.url,
        service_workers="block",
    )
    context.add_cookies([{"name": "elder", "value": "1" if elder else "0", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(20000)
    return context, page


def _login(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_resident_votes_on_the_phone(chromium, live_server, transactional_world):
    w = transactional_world
    staff = w.staff
    voters = w.add_residents(2)
    m = actions.raise_matter(
        actor=staff,
        area=w.building,
        kind=w.kind(),
        title="楼道加装扶手",
        description="楼里老人多，上下楼不便。",
        source="party_branch",
    )
    actions.accept_matter(m, actor=staff)
    actions.open_vote(
        m, actor=staff, closes_at=timezone.now() + timedelta(days=2), plan="每层加装不锈钢扶手"
    )
    findings = []
    for elder, voter in ((False, voters[0]), (True, voters[1])):
        context, page = _phone(chromium, live_server, elder=elder)
        try:
            _login(page, voter.username)
            page.goto("/deliberation/")
            assert page.locator("#matters li").count() == 1
            findings.append(check(page, "matters", elder=elder))
            page.click("#matters a")
            page.wait_for_selector("#vote form")
            findings.append(check(page, "matter (voting)", elder=elder))
            if not elder:
                _shot(page, "deliberation-vote.png")
            page.check("input[name=choice][value=yes]")
            page.click("#vote button[type=submit]")
            page.wait_for_selector("#voted")
            assert page.locator(".messages li").count() == 1
            findings.append(check(page, "matter (voted)", elder=elder))
            if elder:
                _shot(page, "deliberation-voted-elder.png")
            # A second tap from a stale copy of the page is refused with a message, not a 500.
            page.go_back()
            page.wait_for_load_state("networkidle")
            if page.locator("#vote form").count():
                page.check("input[name=choice][value=no]")
                page.click("#vote button[type=submit]")
                page.wait_for_selector("#voted")
        finally:
            context.close()
    bad = [f for f in findings if f.serious() or f.elder]
    assert not bad, report(bad)
    assert Participation.objects.filter(matter=m).count() == 2
    assert sorted(Ballot.objects.filter(matter=m).values_list("choice", flat=True)) == [
        "yes",
        "yes",
    ]


def test_staff_desk_pages_are_axe_clean(chromium, live_server, transactional_world):
    w = transactional_world
    staff = w.staff
    (voter,) = w.add_residents(1)
    m = actions.raise_matter(
        actor=staff,
        area=w.building,
        kind=w.kind(),
        title="楼道加装扶手",
        description="楼里老人多，上下楼不便。",
        source="party_branch",
    )
    actions.accept_matter(m, actor=staff)
    actions.open_vote(m, actor=staff, closes_at=timezone.now() + timedelta(days=2), plan="加装扶手")
    actions.cast_vote(m, actor=voter, choice="yes")
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(20000)
    findings = []
    try:
        _login(page, staff.username)
        page.goto("/deliberation/desk/")
        assert page.locator("#matters tbody tr").count() == 1
        findings.append(check(page, "desk list", elder=False))
        page.click("#matters a")
        page.wait_for_selector("#status")
        findings.append(check(page, "desk matter", elder=False))
        _shot(page, "deliberation-desk.png")
    finally:
        context.close()
    bad = [f for f in findings if f.serious()]
    assert not bad, report(bad, rules=())
