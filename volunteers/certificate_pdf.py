"""The service-hours certificate as a PDF (A4 landscape), for communities that file or print
it. ReportLab's built-in Adobe CID font STSong-Light renders Chinese without shipping font
files; the ID number is masked as everywhere (grids.privacy)."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from grids.privacy import mask_id_number

FONT = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def render_certificate(cert, stars: int) -> bytes:
    """The certificate `cert` (volunteers.Certificate) as PDF bytes."""
    font = _font()
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setTitle(f"{_('Volunteer service certificate')} {cert.number}")
    pdf.setAuthor(cert.community.name)
    red = HexColor("#8b0000")
    pdf.setStrokeColor(red)
    pdf.setLineWidth(6)
    pdf.rect(28, 28, width - 56, height - 56)
    pdf.setLineWidth(1.5)
    pdf.rect(40, 40, width - 80, height - 80)

    pdf.setFillColor(red)
    pdf.setFont(font, 34)
    pdf.drawCentredString(width / 2, height - 120, _("Volunteer service certificate"))
    pdf.setFillColor(HexColor("#111111"))
    pdf.setFont(font, 13)
    pdf.drawRightString(width - 70, height - 70, f"{_('No.')} {cert.number}")

    volunteer = cert.volunteer
    hours = Decimal(cert.hours).normalize()
    lines = [
        _("This certifies that %(name)s has served %(hours)s hours as a volunteer.")
        % {"name": volunteer.real_name, "hours": f"{hours:f}"},
        f"{_('ID number')}: {mask_id_number(volunteer.id_number)}",
        f"{_('Service content')}: {cert.content}",
        "★" * stars if stars else "",
    ]
    pdf.setFont(font, 18)
    y = height - 200
    for line in lines:
        for chunk in _wrap(line, 36):
            pdf.drawString(90, y, chunk)
            y -= 32
    pdf.setFont(font, 16)
    issued = timezone.localtime(cert.created_at).date() if cert.created_at else None
    pdf.drawRightString(width - 90, 110, f"{_('Issued by')}: {cert.community.name}")
    if issued:
        pdf.drawRightString(width - 90, 84, issued.isoformat())
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _wrap(text: str, per_line: int) -> list[str]:
    """Chinese has no spaces to break at: cut by characters."""
    return [text[i : i + per_line] for i in range(0, len(text), per_line)] or [""]
