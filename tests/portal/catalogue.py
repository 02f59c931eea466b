"""Reading the zh_Hans catalogues (.po) for the translation tests: every entry's context, msgid
and msgstr, without a gettext library."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Entry:
    catalogue: str
    context: str
    msgid: str
    msgstr: str


def catalogues() -> list[Path]:
    pos = sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))
    return [*pos, ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"]


def _string(line: str) -> str:
    return ast.literal_eval(line[line.index('"') :])


def entries(path: Path) -> list[Entry]:
    """The translated singular entries (plural forms are read as their first form)."""
    found: list[Entry] = []
    fields: dict[str, str] = {}
    last = None

    def flush() -> None:
        if fields.get("msgid") and fields.get("msgstr"):
            found.append(
                Entry(
                    str(path.relative_to(ROOT).parts[0]),
                    fields.get("msgctxt", ""),
                    fields["msgid"],
                    fields["msgstr"],
                )
            )
        fields.clear()

    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            if not line and fields:
                flush()
            last = None
            continue
        m = re.match(r"(msgctxt|msgid_plural|msgid|msgstr\[0\]|msgstr\[\d+\]|msgstr) ", line)
        if m:
            key = {"msgstr[0]": "msgstr"}.get(m.group(1), m.group(1))
            if key.startswith("msgstr[") or key == "msgid_plural":
                last = None
                continue
            fields[key] = _string(line)
            last = key
        elif line.startswith('"') and last:
            fields[last] += _string(line)
    flush()
    return found
