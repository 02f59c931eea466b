"""iCalendar (RFC 5545) for one activity and a centre's feed, written by hand: a few fixed
properties, escaped and folded, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from django.urls import reverse
from django.utils import timezone


def _escape(text: str) -> str:
    return (
        (text or "")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space."""
    out, current = [], b""
    for ch in line:
        encoded = ch.encode()
        if len(current) + len(encoded) > 75:
            out.append(current.decode())
            current = b" "
        current += encoded
    out.append(current.decode())
    return "\r\n".join(out)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def event_for(activity, centre, request=None) -> list[str]:
    url = reverse("centres:activity", args=[activity.pk])
    if request is not None:
        url = request.build_absolute_uri(url)
    where = centre.name + (f" {activity.space.name}" if activity.space_id else "")
    if centre.address:
        where += f", {centre.address}"
    lines = [
        "BEGIN:VEVENT",
        f"UID:centres-activity-{activity.pk}@linli",
        f"DTSTAMP:{_utc(timezone.now())}",
        f"DTSTART:{_utc(activity.starts_at)}",
        f"DTEND:{_utc(activity.ends_at)}",
        f"SUMMARY:{_escape(activity.title)}",
        f"LOCATION:{_escape(where)}",
        f"DESCRIPTION:{_escape(activity.description)}",
        f"URL:{url}",
    ]
    if activity.is_cancelled:
        lines.append("STATUS:CANCELLED")
    if centre.lat is not None and centre.lng is not None:
        lines.append(f"GEO:{centre.lat:.6f};{centre.lng:.6f}")
    lines.append("END:VEVENT")
    return lines


def calendar(events: list[list[str]], name: str) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Linli//centres//ZH",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(name)}",
        "X-WR-TIMEZONE:Asia/Shanghai",
    ]
    for event in events:
        lines += event
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
