"""GeoReport v2's two formats: XML (the spec's own) and JSON (its "Spark convention" mapping:
the XML's list of items as an array). One function answers both, so a field is named once.

XML: a root element (services, service_requests, errors …) holding one element per item
(service, request, error …); a nested list is an element holding one child per value, named
from LIST_ITEMS (attributes › attribute, values › value, formats › format). Booleans are
true/false, a missing value an empty element."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime

from django.http import HttpResponse
from django.utils import timezone

FORMATS = ("json", "xml")
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
LIST_ITEMS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the offset, in the site's time zone (2026-12-07T10:00:00+08:00)."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(parent: ET.Element, fields: dict) -> None:
    for name, value in fields.items():
        child = ET.SubElement(parent, name)
        if isinstance(value, dict):
            _fill(child, value)
        elif isinstance(value, (list, tuple)):
            tag = LIST_ITEMS.get(name, name.rstrip("s") or "item")
            for item in value:
                node = ET.SubElement(child, tag)
                if isinstance(item, dict):
                    _fill(node, item)
                else:
                    node.text = _text(item)
        else:
            child.text = _text(value)


def to_xml(root: str, item: str | None, body) -> bytes:
    """`body` is a list of items (each a dict, under `item`) or one dict filling `root`."""
    top = ET.Element(root)
    if isinstance(body, dict):
        _fill(top, body)
    else:
        for row in body:
            _fill(ET.SubElement(top, item or "item"), row)
    # The spec's words: the root preceded by the declaration with encoding="UTF-8".
    return XML_DECLARATION + ET.tostring(top, encoding="utf-8", xml_declaration=False)


def answer(fmt: str, root: str, item: str | None, body, status: int = 200) -> HttpResponse:
    if fmt == "json":
        return HttpResponse(
            json.dumps(body, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
            status=status,
        )
    return HttpResponse(
        to_xml(root, item, body), content_type="text/xml; charset=utf-8", status=status
    )


def errors(fmt: str, status: int, *descriptions: str, code: int | None = None) -> HttpResponse:
    """The spec's error envelope: a list of {code, description}; the code may be more
    specific than the HTTP status (it is the status unless given)."""
    body = [{"code": code or status, "description": str(d)} for d in descriptions]
    return answer(fmt if fmt in FORMATS else "xml", "errors", "error", body, status=status)
