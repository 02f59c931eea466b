"""The zh_Hans catalogues: no string is left to a fuzzy guess (msgfmt leaves those out, so the
page shows English) and strings that once were show in Chinese."""

from pathlib import Path

from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]


def test_no_catalogue_keeps_a_fuzzy_guess():
    pos = list(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))
    pos.append(ROOT / "locale/zh_Hans/LC_MESSAGES/django.po")
    assert len(pos) >= 5
    for po in pos:
        flags = [line for line in po.read_text().splitlines() if line.startswith("#,")]
        assert not [f for f in flags if "fuzzy" in f and not f.startswith("#~")], po


def test_strings_that_were_fuzzy_guesses_now_read_in_chinese():
    with translation.override("zh-hans"):
        assert translation.gettext("Your community has no teams yet.") == "本社区暂无服务队。"
        assert translation.gettext("Log in to order") == "登录后点单"
        taken = translation.gettext("%(taken)s of %(quota)s taken") % {"taken": 3, "quota": 5}
        assert taken == "已占 3 / 共 5 个名额"
        sent = translation.gettext("Case %(number)s sent to you") % {"number": "1"}
        assert sent.startswith("工单 1")
