"""The mediation agreement (人民调解协议书) as a PDF, A4 portrait, with the same library and
CJK font as the volunteers' certificate (ReportLab, Adobe CID font STSong-Light: no font files
shipped). It carries the parties' names and the terms, so only those who may see the details
get it (mediation.views, logged as a reveal)."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from volunteers.certificate_pdf import _font, _wrap

PER_LINE = 34
MARGIN = 60


def render_agreement(dispute) -> bytes:
    """The agreement of `dispute` (its parties, mediators, terms and signatures) as PDF bytes."""
    font = _font()
    buffer = io.BytesIO()
    width, height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4)
    title = _("People's mediation agreement")
    pdf.setTitle(f"{title} {dispute.number}")
    pdf.setAuthor(dispute.community.name)
    y = height - 80

    def line(text: str, size: int = 12, gap: int = 20, indent: int = 0) -> None:
        nonlocal y
        pdf.setFont(font, size)
        for chunk in _wrap(text, PER_LINE - indent // 12):
            if y < 80:
                pdf.showPage()
                pdf.setFont(font, size)
                y = height - 70
            pdf.drawString(MARGIN + indent, y, chunk)
            y -= gap

    pdf.setFillColor(HexColor("#8b0000"))
    pdf.setFont(font, 24)
    pdf.drawCentredString(width / 2, y, title)
    pdf.setFillColor(HexColor("#111111"))
    y -= 30
    pdf.setFont(font, 11)
    pdf.drawRightString(width - MARGIN, y, f"{_('No.')} {dispute.number}")
    y -= 30
    for party in dispute.parties.all():
        line(f"{party.get_side_display()}: {party.name}", 13)
        extra = " ".join(x for x in (party.phone, party.address) if x)
        if extra:
            line(extra, 11, indent=24)
    y -= 6
    line(f"{_('Kind of dispute')}: {dispute.get_kind_display()}")
    mediators = "、".join(f"{m.name}（{m.get_kind_display()}）" for m in dispute.mediators.all())
    line(f"{_('Mediators')}: {mediators or '—'}")
    y -= 6
    line(_("Facts and claims"), 14, 24)
    for para in dispute.facts.splitlines() or [""]:
        line(para, 11, 17, indent=12)
    y -= 6
    line(_("Terms agreed"), 14, 24)
    for para in dispute.terms.splitlines() or [""]:
        line(para, 12, 19, indent=12)
    y -= 6
    line(
        _(
            "The parties agree to these terms of their own free will and will keep them. "
            "This agreement is legally binding once signed (人民调解法 art. 31)."
        ),
        11,
        17,
    )
    y -= 14
    line(_("Signatures"), 14, 24)
    for party in dispute.parties.all():
        when = (
            timezone.localtime(party.signed_at).strftime("%Y-%m-%d %H:%M")
            if party.signed_at
            else "________________"
        )
        line(f"{party.get_side_display()} {party.name}: {_('signed')} {when}", 12, 22)
    for m in dispute.mediators.all():
        line(f"{_('Mediator')} {m.name}: ________________", 12, 22)
    y -= 10
    pdf.setFont(font, 12)
    pdf.drawRightString(
        width - MARGIN, max(y, 60), f"{dispute.community.name} {_('mediation committee')}"
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
