"""Run axe-core and the elder-interface checks on a Playwright page.

axe-core is vendored (tests/a11y/vendor/axe-core/axe.min.js, from npm, version pinned in
AXE_VERSION with its SHA-256, so a changed file fails loudly instead of changing what the suite
checks). Contrast is checked at 4.5:1 for large text too: the MIIT elder rules ask 4.5:1 of all
text, WCAG AA only 3:1 of large text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
AXE = HERE / "vendor" / "axe-core" / "axe.min.js"
AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
CHECKS = HERE / "checks.js"

_CONFIGURE = """() => axe.configure({checks: [{id: "color-contrast", options: {
  ignoreUnicode: true, ignoreLength: false, ignorePseudo: false, boldValue: 700, boldTextPt: 14,
  largeTextPt: 18, contrastRatio: {normal: {expected: 4.5}, large: {expected: 4.5}},
  pseudoSizeThreshold: 0.25, shadowOutlineEmMax: 0.2, textStrokeEmMin: 0.03}}]})"""

_RUN = """() => axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => ({
  id: v.id, impact: v.impact, help: v.help,
  nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " " + (n.failureSummary || "").split("\\n").slice(1, 2).join(""))
})))"""


def axe_source() -> str:
    data = AXE.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert digest == AXE_SHA256, f"{AXE} is not axe-core {AXE_VERSION} as vendored ({digest})"
    assert f"axe v{AXE_VERSION}" in data[:40].decode(), "the vendored axe-core changed version"
    return data.decode()


@dataclass
class Findings:
    """What one page state broke: axe violations (serious/critical counted) and elder rules."""

    page: str
    axe: list[dict] = field(default_factory=list)
    elder: list[dict] = field(default_factory=list)

    def serious(self) -> list[dict]:
        return [v for v in self.axe if v["impact"] in ("serious", "critical")]


def check(page, label: str, *, elder: bool) -> Findings:
    """axe-core and the elder checks on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
        page.evaluate(_CONFIGURE)
    if not page.evaluate("typeof window.__linliElderChecks === 'function'"):
        page.add_script_tag(content=CHECKS.read_text())
    found = Findings(page=f"{label} ({'elder' if elder else 'standard'})")
    found.axe = page.evaluate(_RUN)
    found.elder = page.evaluate("e => window.__linliElderChecks(e)", elder)
    return found


def report(findings: list[Findings], *, rules: tuple[str, ...] | None = None) -> str:
    lines = []
    for f in findings:
        lines += [
            f"{f.page}: axe {v['impact']} {v['id']} ({v['help']}): {v['nodes']}"
            for v in f.serious()
        ]
        lines += [
            f"{f.page}: {e['rule']} {e['where']}: {e['detail']}"
            for e in f.elder
            if rules is None or e["rule"] in rules
        ]
    return "\n".join(lines)
