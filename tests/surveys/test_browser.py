"""A resident answers a survey in Chromium at 390×844: the list, a refused empty submission
with its messages, the answer counted once, in standard and elder (大字) mode, axe-clean with
the elder checks; and the staff results page draws its ECharts charts."""

from __future__ import annotations

import pytest

from surveys.models import Participation, Response
from tests.a11y.sweep import check, report
from tests.conftest import PHONE
from tests.volunteers.test_browser import _shot, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_resident_answers_a_survey_on_a_phone(chromium, live_server, tsw):
    q = tsw.questionnaire(anonymous=True)
    round = tsw.round(q)
    tsw.resident("phone-resident")
    context = chromium.new_context(
        viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        browser_login(page, "phone-resident")
        page.goto("/surveys/")
        found = [check(page, "survey list", elder=False)]
        page.click(f"text={q.title}")
        page.wait_for_url(f"**/surveys/{round.pk}/")
        found.append(check(page, "survey form", elder=False))
        _shot(page, "surveys-answer.png")
        # Nothing answered: refused, each required question says so, nothing counted.
        page.click("button[type=submit].primary")
        page.wait_for_load_state("networkidle")
        assert page.locator("p.error", has_text="请回答这一题。").count() == 3
        found.append(check(page, "survey form with errors", elder=False))
        assert not Response.objects.exists()
        # Elder mode: the same page in big text.
        page.click("button.toggle")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.classList.contains('elder')")
        found.append(check(page, "survey form", elder=True))
        q1, q2, q3, q4, q5 = q.questions.order_by("position")
        page.check(f"input[name=q{q1.pk}][value='4']")
        page.check(f"input[name=q{q2.pk}][value='5']")
        page.check(f"input[name=q{q3.pk}][value='1']")
        page.check(f"input[name=q{q4.pk}][value='0']")
        page.check(f"input[name=q{q4.pk}][value='2']")
        page.fill(f"textarea[name=q{q5.pk}]", "希望多办健康讲座")
        page.click("button[type=submit].primary")
        page.wait_for_url("**/surveys/")
        assert "谢谢！您的答卷已计入。" in page.inner_text(".messages")
        assert "已回答，谢谢" in page.inner_text("main")
        found.append(check(page, "survey list after answering", elder=True))
        response = Response.objects.get(round=round)
        assert response.user is None
        answers = {a.question_id: a for a in response.answers.all()}
        assert answers[q4.pk].choices == [0, 2] and answers[q5.pk].text == "希望多办健康讲座"
        # Back on the page: it says so, and offers no second answer.
        page.goto(f"/surveys/{round.pk}/")
        assert "您已回答过这份问卷" in page.inner_text("main")
        assert page.locator("button[type=submit].primary").count() == 0
        assert Participation.objects.filter(round=round).count() == 1
        problems = [f for f in found if f.serious() or f.elder]
        assert not problems, report(found)
    finally:
        context.close()


def test_staff_results_draw_their_charts(chromium, live_server, tsw):
    from surveys import actions

    q = tsw.questionnaire()
    round = tsw.round(q)
    q1, q2, q3, *_ = q.questions.order_by("position")
    for i in range(3):
        actions.submit_phone(
            round,
            tsw.resident(f"c{i}", building=i % 2),
            {f"q{q1.pk}": 3 + i, f"q{q2.pk}": 2, f"q{q3.pk}": i},
        )
    page = chromium.new_page(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    try:
        browser_login(page, "community_a")
        page.goto(f"/surveys/staff/rounds/{round.pk}/")
        page.wait_for_selector(".chart[data-drawn='1']")
        # Two scale and two choice questions, and the areas (the free-text question has none).
        assert page.locator(".chart[data-drawn='1']").count() == 5
        _shot(page, "surveys-results.png")
        found = check(page, "survey results", elder=False)
        assert not found.serious(), report([found], rules=())
    finally:
        page.context.close()
