"""What the resident's filing page works out instead of asking: the type of a case from its
category, and the picture on a category's tile.

THE rule for the type: a resident picks a category (路灯损坏, 噪音扰民 …) and writes one
sentence; asking them "is this a 求助, 投诉 or 举报?" as well only slows an elderly filer
down. The words of the category (its name and code, and its parent's) decide; the first
line of CASE_TYPE_WORDS that matches wins, else it is a request for help (求助). The desk
corrects a wrong guess when it reviews the case (services.actions)."""

from __future__ import annotations

from services.choices import CaseType
from services.models import Category

# (type, words): a word is matched in the category's and its parent's name and code.
CASE_TYPE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (CaseType.CONSULTATION, ("咨询", "政策", "consult", "subsistence")),
    (CaseType.SUGGESTION, ("建议", "suggest")),
    # About what someone else does wrong: never shown to neighbours as a similar case.
    (CaseType.REPORT, ("违章", "违建", "抛物", "举报", "illegal", "falling")),
    (CaseType.COMPLAINT, ("扰民", "纠纷", "投诉", "占道", "noise", "pets", "vendor")),
)

# (icon, words): the tile's picture (services.icons), decoration only (the words say it).
ICON_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("trash", ("垃圾", "rubbish")),
    ("light", ("路灯", "light")),
    ("road", ("坑", "道路", "pothole", "road")),
    ("warning", ("井盖", "manhole", "隐患")),
    ("water", ("水", "water")),
    ("power", ("电", "power")),
    ("flame", ("燃气", "gas")),
    ("noise", ("噪音", "noise")),
    ("paw", ("宠物", "pet")),
    ("person", ("养老", "elder")),
    ("document", ("低保", "咨询", "subsistence")),
    ("truck", ("消防", "fire")),
    ("falling", ("抛物", "falling")),
    ("cart", ("占道", "摊", "vendor")),
    ("house", ("违章", "违建", "illegal")),
    ("people", ("邻里", "纠纷", "neighbour")),
)
DEFAULT_ICON = "pencil"


def _words(category: Category) -> str:
    parts = [category.name, category.code]
    parent = category.parent if category.parent_id else None
    if parent is not None:
        parts += [parent.name, parent.code]
    return " ".join(parts).lower()


def guess_case_type(category: Category) -> str:
    """The type a case filed under `category` most likely is (THE rule; see the module)."""
    words = _words(category)
    for case_type, keys in CASE_TYPE_WORDS:
        if any(key in words for key in keys):
            return case_type
    return CaseType.HELP


def category_icon(category: Category) -> str:
    """The name of the picture on the category's tile (services.icons): its own words first,
    then its parent's."""
    for text in (f"{category.name} {category.code}".lower(), _words(category)):
        for icon, keys in ICON_WORDS:
            if any(key in text for key in keys):
                return icon
    return DEFAULT_ICON
