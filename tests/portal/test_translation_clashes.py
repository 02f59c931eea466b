"""Every Chinese string reviewed against its English: two msgids of different meaning must not
share one msgstr (a Chinese page would then say the same thing for both; "Wishes I claimed" read
"该心愿尚未被认领。", the patrol form's "Write what you saw." asked for "your unit's part").

Over all the zh_Hans catalogues, msgids are compared after folding what does not change the
meaning: case, final punctuation, English plurals and Chinese glosses in brackets ("Snap and
report (随手拍)"). Two strings that still differ yet share a translation must be listed in
same_meaning.tsv (msgstr, then the folded English strings it stands for, "|"-separated), after
a reader has checked that they mean the same thing in Chinese. A listed group that changes (a
new English string joins it, or the clash is gone) fails too, so the list stays true.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from tests.portal.catalogue import catalogues, entries

LIST = Path(__file__).with_name("same_meaning.tsv")
_GLOSS = re.compile(r"\s*[（(][^)）]*[\u4e00-\u9fff][^)）]*[)）]")
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")


def fold(msgid: str) -> str:
    """The English string with what does not change its meaning taken out."""
    text = _CJK.sub(" ", _GLOSS.sub("", msgid)).casefold().strip().rstrip(".:!?").strip()
    words = []
    for word in re.split(r"(\W+)", text):
        if re.search(r"(sh|ch|x|ss)es$", word):
            word = word[:-2]
        elif word.endswith("ies") and len(word) > 4:
            word = word[:-3] + "y"
        elif word.endswith("s") and not word.endswith("ss") and len(word) > 2:
            word = word[:-1]
        words.append(word)
    return re.sub(r"\s+", " ", "".join(words)).strip()


def clashes() -> dict[str, set[str]]:
    by_msgstr: dict[str, set[str]] = defaultdict(set)
    for po in catalogues():
        for entry in entries(po):
            by_msgstr[entry.msgstr].add(fold(entry.msgid))
    return {msgstr: ids for msgstr, ids in by_msgstr.items() if len(ids) > 1}


def listed() -> dict[str, set[str]]:
    groups = {}
    for line in LIST.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            msgstr, ids = line.split("\t")
            groups[msgstr] = {i.strip() for i in ids.split("|")}
    return groups


def test_catalogues_are_read():
    assert len(catalogues()) >= 5
    assert sum(len(entries(po)) for po in catalogues()) > 1000
    assert fold("Snap and report (随手拍)") == fold("snap and reports.")


def test_no_two_meanings_share_one_chinese_string():
    found, allowed = clashes(), listed()
    unlisted = {s: ids for s, ids in found.items() if allowed.get(s) != ids}
    assert not unlisted, "one Chinese string for different English strings:\n" + "\n".join(
        f"{s}\t{' | '.join(sorted(ids))}" + (" (listed differently)" if s in allowed else "")
        for s, ids in sorted(unlisted.items())
    )
    stale = sorted(set(allowed) - set(found))
    assert not stale, f"listed in {LIST.name} but no longer shared: {stale}"


def test_strings_that_said_the_wrong_thing_now_say_what_they_mean():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert translation.gettext("Wishes I claimed") == "我认领的心愿"
        assert translation.gettext("Order accepted.") == "已接单。"
        assert translation.gettext("Write what you saw.") == "请填写巡查所见。"
        assert translation.gettext("Choose where you are.") == "请选择您所在的位置。"
        title = translation.gettext("Red card: case %(number)s missed its %(clock)s deadline")
        clock = translation.pgettext("clock", "sign-for")
        assert title % {"number": "1", "clock": clock} == "红牌：工单 1 已超过签收时限"
