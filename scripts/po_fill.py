"""Fill msgstr entries of a .po file from a "msgid<TAB>msgstr" file (one pair a line).

Usage: python scripts/po_fill.py path/to/django.po translations.tsv
Entries already translated are left alone unless --overwrite is given. Then `make messages`
(or compilemessages) builds the .mo."""

import re
import sys
from pathlib import Path


def unquote(block: str) -> str:
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', block)
    return "".join(parts).encode("raw_unicode_escape").decode("unicode_escape")


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    overwrite = "--overwrite" in sys.argv
    po_path, tsv_path = Path(args[0]), Path(args[1])
    table = {}
    for line in tsv_path.read_text().splitlines():
        if "\t" in line:
            k, v = line.split("\t", 1)
            table[k] = v
    text = po_path.read_text()
    entry = re.compile(r'(msgid ((?:"(?:[^"\\]|\\.)*"\s*)+)msgstr ((?:"(?:[^"\\]|\\.)*"\s*)+))')
    filled = 0

    def repl(m):
        nonlocal filled
        msgid, msgstr = unquote(m.group(2)), unquote(m.group(3))
        if msgid and msgid in table and (overwrite or not msgstr):
            filled += 1
            # keep a trailing newline/blank line as in the original block
            tail = m.group(3)[len(m.group(3).rstrip()) :]
            return f"msgid {m.group(2).rstrip()}\nmsgstr {quote(table[msgid])}{tail}"
        return m.group(1)

    text = entry.sub(repl, text)
    text = text.replace("#, fuzzy\n", "", 1) if filled else text
    po_path.write_text(text)
    print(f"{po_path}: filled {filled}")


if __name__ == "__main__":
    main()
