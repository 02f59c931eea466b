"""Fails when a compiled zh_Hans catalogue (.mo) is missing or stale.

The catalogues are compiled in the repository, so a forgotten `make messages` shows up in CI.
git does not keep file times, so staleness is judged by recompiling with msgfmt (when gettext
is installed) and comparing the bytes."""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
pos = [
    p
    for p in ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po")
    if not {".venv", "var", "node_modules"} & set(p.relative_to(ROOT).parts)
]
problems = []
msgfmt = shutil.which("msgfmt")
for po in sorted(pos):
    mo = po.with_suffix(".mo")
    if not mo.exists():
        problems.append(f"{mo.relative_to(ROOT)} is missing: run `make messages`")
        continue
    if msgfmt:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "django.mo"
            subprocess.run([msgfmt, "--check-format", "-o", str(out), str(po)], check=True)
            if out.read_bytes() != mo.read_bytes():
                problems.append(f"{mo.relative_to(ROOT)} is stale: run `make messages`")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"{len(pos)} catalogues compiled and current")
