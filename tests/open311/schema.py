"""GeoReport v2's XML schema (georeport_v2.xsd, written from the spec) and a check that an
answer is valid against it. Every XML answer the Open311 tests read goes through `validated`."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).with_name("georeport_v2.xsd"))))


def errors_of(content: bytes) -> list[str]:
    """Why `content` is not a valid GeoReport v2 document (empty when it is)."""
    document = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    if SCHEMA.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in SCHEMA.error_log]


def validated(content: bytes) -> None:
    # The spec: the root element preceded by the XML declaration with encoding="UTF-8".
    head = content[:60].lower().replace(b"'", b'"')
    assert head.startswith(b'<?xml version="1.0" encoding="utf-8"?>'), content[:60]
    problems = errors_of(content)
    assert not problems, (problems, content[:2000])
