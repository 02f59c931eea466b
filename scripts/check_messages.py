"""Fails when a compiled zh_Hans catalogue (.mo) is missing or stale.

The catalogues are compiled in the repository, so a forgotten `make messages` shows up in CI.
git does not keep file times, so staleness is judged by recompiling with msgfmt (when gettext
is installed) and comparing the bytes."""

import os
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


def unextracted() -> list[str]:
    """Extract every app's strings afresh in a scratch copy of the tree and name the ones the
    repository's catalogue does not translate: a new `_()` string without `make messages`
    (or without a translation) would otherwise show up in English on a Chinese page."""
    found = []
    skip = shutil.ignore_patterns(".venv", "var", ".git", "node_modules", "img", "__pycache__")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "tree"
        shutil.copytree(ROOT, copy, ignore=skip)
        # django-admin, not `python -m django`: the latter puts the app dir first on sys.path,
        # where services/calendar.py would shadow the standard library's calendar.
        admin = [
            str(Path(sys.executable).parent / "django-admin"),
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-location",
        ]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "PYTHONPATH": str(copy)}
        apps = ["grids", "centres", "services", "volunteers", "notifications"]
        others = [f"{a}/*" for a in apps] + ["tests/*", "bench/*", "var/*", ".venv/*"]
        runs = [(copy, [arg for o in others for arg in ("-i", o)])]
        runs += [(copy / a, ["-i", "migrations/*"]) for a in apps if (copy / a / "locale").exists()]
        for cwd, extra in runs:
            done = subprocess.run(admin + extra, cwd=cwd, env=env, capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"makemessages failed in {cwd}:\n{done.stderr}")
            po = cwd / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
            # Untranslated, or only guessed: msgmerge's "fuzzy" matches (a new string given an
            # old one's translation) are left out of the compiled catalogue, so the page shows
            # English, and the guess is often wrong besides.
            for which in ("--untranslated", "--only-fuzzy"):
                out = subprocess.run(
                    ["msgattrib", which, "--no-obsolete", "--no-wrap", str(po)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                ids = [line[7:-1] for line in out.splitlines() if line.startswith('msgid "')]
                kind = "" if which == "--untranslated" else " (fuzzy guess)"
                found += [f"{po.relative_to(copy)}: {i}{kind}" for i in ids if i]
    return found


if msgfmt and shutil.which("msgattrib"):
    missing = unextracted()
    if missing:
        problems.append(
            "untranslated strings (run `scripts/messages <app>` and fill "
            "<app>/locale/zh_Hans/translations.tsv):"
        )
        problems += [f"  {m}" for m in missing]
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"{len(pos)} catalogues compiled and current, every string translated")
