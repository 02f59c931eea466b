"""Certificates (issued by the staff's admin action, never a 500 for anyone who opens one),
the words of the time bank (one word per currency, each Chinese string meaning its English),
and pages without inline script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from tests.volunteers.conftest import add_relative, make_volunteer, place, serve
from volunteers import actions
from volunteers.models import Certificate

pytestmark = pytest.mark.django_db

APP = Path(__file__).resolve().parents[2] / "volunteers"


@pytest.fixture
def certified(territory):
    add_relative(territory)
    helper = make_volunteer(territory.user("grid_a"), territory.a.community)
    order = serve(place(territory), helper.user, minutes=60)
    actions.confirm_order(order, territory.user("resident_a"), 5)
    return helper


# --- certificates --------------------------------------------------------------------------
def test_staff_issue_a_certificate_with_the_admin_action_once(client, territory, certified):
    client.force_login(territory.user("community_a"))
    data = {"action": "issue_certificates", "_selected_action": [certified.pk]}
    client.post("/admin/volunteers/volunteer/", data)
    client.post("/admin/volunteers/volunteer/", data)  # a second click, no new hours
    cert = Certificate.objects.get()
    assert cert.issued_by == territory.user("community_a") and cert.hours == 1
    messages = [str(m) for m in client.get("/admin/volunteers/volunteer/").context["messages"]]
    assert any(f"{cert.number} already covers these 1.00 hours" in m for m in messages)
    # Another community's staff do not even see the volunteer.
    client.force_login(territory.user("community_b"))
    client.post("/admin/volunteers/volunteer/", data)
    assert Certificate.objects.count() == 1


@pytest.mark.parametrize("suffix", ["", "pdf/"])
def test_certificate_pages_never_500(territory, certified, suffix):
    cert = actions.issue_certificate(certified, territory.user("community_a"))
    anonymous = Client()
    for number in (cert.number, "NO-SUCH-1"):
        r = anonymous.get(f"/volunteers/certificates/{number}/{suffix}")
        # Anonymous: to the login page (the same answer whether it exists or not).
        assert r.status_code == 302 and r["Location"].startswith("/cases/login/")
    holder = Client()
    holder.force_login(certified.user)
    assert holder.get(f"/volunteers/certificates/{cert.number}/{suffix}").status_code == 200
    assert holder.get(f"/volunteers/certificates/NO-SUCH-1/{suffix}").status_code == 404
    stranger = Client()
    stranger.force_login(territory.user("resident_b"))
    assert stranger.get(f"/volunteers/certificates/{cert.number}/{suffix}").status_code == 404


def test_certificate_page_prints_without_inline_script(territory, certified):
    cert = actions.issue_certificate(certified, territory.user("community_a"))
    client = Client()
    client.force_login(certified.user)
    page = client.get(f"/volunteers/certificates/{cert.number}/").content.decode()
    assert "data-print" in page and "onclick" not in page
    assert "/static/volunteers/timebank.js" in page


# --- words -----------------------------------------------------------------------------------
def _catalogue() -> dict[str, str]:
    import sys

    sys.path.insert(0, str(APP.parent / "scripts"))
    from po_fill import unquote  # the repository's own .po reader

    text = (APP / "locale/zh_Hans/LC_MESSAGES/django.po").read_text()
    entry = re.compile(r'msgid ((?:"(?:[^"\\]|\\.)*"\s*)+)msgstr ((?:"(?:[^"\\]|\\.)*"\s*)+)')
    return {unquote(m.group(1)): unquote(m.group(2)) for m in entry.finditer(text)}


def test_the_catalogue_says_what_the_translation_table_says():
    """A msgstr left behind from an older string (msgmerge's guess, or an edit lost) is how
    "Wishes I claimed" came to read "该心愿尚未被认领。": every translated string must be the
    one the table gives."""
    table = {}
    for line in (APP / "locale/zh_Hans/translations.tsv").read_text().splitlines():
        msgid, _tab, msgstr = line.partition("\t")
        table[msgid] = msgstr
    catalogue = _catalogue()
    wrong = {k: (v, table[k]) for k, v in catalogue.items() if k in table and v != table[k]}
    assert wrong == {}
    assert catalogue["Wishes I claimed"] == "我认领的心愿"
    assert "Done." not in catalogue


# msgids the time bank shares with an app listed before it (whose translation therefore wins)
# or with the project's catalogue, where both translations mean the same thing.
SHARED_SAME_MEANING = {
    "Enter an 11-digit mobile number.",  # 请输入11位手机号码。
    "Register",  # 登记
    "active",  # 启用
    "category",  # 分类
    "code",  # 编码
    "comment",  # 意见
    "decided by",  # 审批人
    "description",  # 介绍
    "kind",  # 类别
    "mobile phone",  # 手机号码
    "number",  # 号码
    "party branch",  # 党支部
    "rejected",  # 已驳回
    "what is needed",  # 需求内容
}


def test_the_time_bank_shows_its_own_translation_of_each_string():
    """Apps listed earlier (and the project's locale/) win when two catalogues share a msgid:
    "open" read 开放 (a centre's opening) on the wish wall, "Check in" 核销, a reward's "name"
    姓名. Each string shown on the time bank's pages must show the time bank's meaning."""
    catalogue = {k: v for k, v in _catalogue().items() if k}
    with translation.override("zh-hans"):
        shown = {k: translation.gettext(k) for k in catalogue}
    differ = {k for k, v in catalogue.items() if shown[k] != v}
    assert differ - SHARED_SAME_MEANING == set()


def test_the_named_strings_mean_what_they_say():
    with translation.override("zh-hans"):
        assert translation.gettext("Wishes I claimed") == "我认领的心愿"
        assert translation.gettext("Order accepted.") == "已接单。"
        assert translation.gettext("Report to your community first (双报到).") == (
            "请先向社区报到（双报到）。"
        )
        took = translation.gettext(
            "You took this order. Be there at the time shown and scan the resident's code "
            "when you arrive."
        )
        assert took.startswith("接单成功") and "已完成" not in took


def test_one_word_per_currency_on_the_time_bank_pages(territory, certified):
    """福分 on every time-bank page; 积分 only as 党员积分 (the passbook)."""
    t = territory
    client = Client()  # Chinese, as residents see it
    client.force_login(certified.user)
    from volunteers.models import Reward

    Reward.objects.create(community=t.a.community, name="大米", kind="goods", cost=500, stock=1)
    pages = ["/volunteers/", "/volunteers/points/", "/volunteers/rewards/", "/volunteers/orders/"]
    order = certified.orders.first()
    pages += [f"/volunteers/orders/{order.pk}/", "/volunteers/wishes/", "/volunteers/passbook/"]
    for url in pages:
        page = client.get(url).content.decode()
        assert "积分" not in page.replace("党员积分", ""), url
    assert "已发放福分" in client.get(f"/volunteers/orders/{order.pk}/").content.decode()
    rewards = client.get("/volunteers/rewards/").content.decode()
    assert "还差" in rewards and "福分兑换" in rewards


def test_no_inline_script_in_the_time_bank_templates():
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=", re.IGNORECASE)
    found = [
        f"{path.name}: {m.group(0)}"
        for path in (APP / "templates").rglob("*.html")
        for m in inline.finditer(path.read_text())
    ]
    assert found == []
