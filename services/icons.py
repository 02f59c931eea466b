"""The pictures on the filing page's tiles and buttons: small inline SVG line drawings (24×24,
drawn with the text colour), not emoji, which many older phones and the test browser lack.
Decoration only: the words next to them say what they mean (aria-hidden)."""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe

SHAPES = {
    "trash": '<path d="M3 6h18M19 6l-1 14a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2L5 6M10 11v6M14 11v6'
    'M9 6V4a1 1 0 0 1 1-1h4a1 1 0 0 1 1 1v2"/>',
    "light": '<path d="M9 18h6M10 22h4M12 2a7 7 0 0 0-4 12.7V17h8v-2.3A7 7 0 0 0 12 2z"/>',
    "road": '<rect x="2" y="6" width="20" height="8" rx="1"/>'
    '<path d="M6 6l4 8M12 6l4 8M18 6l3 6M4 14v6M20 14v6"/>',
    "warning": '<path d="M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z'
    'M12 9v4M12 17h.01"/>',
    "water": '<path d="M12 2.7l5.7 5.6a8 8 0 1 1-11.3 0z"/>',
    "power": '<path d="M13 2 3 14h9l-1 8 10-12h-9z"/>',
    "flame": '<path d="M12 2c1 4 5 6 5 11a5 5 0 0 1-10 0c0-3 2-4 2-7 2 1 3 3 3 5 1-2 1-5 0-9z"/>',
    "noise": '<path d="M11 5 6 9H2v6h4l5 4zM15.5 8.5a5 5 0 0 1 0 7M19 5a10 10 0 0 1 0 14"/>',
    "paw": '<circle cx="6" cy="9" r="2"/><circle cx="10" cy="5" r="2"/><circle cx="14" cy="5" r="2"/>'
    '<circle cx="18" cy="9" r="2"/><path d="M12 11c-3 0-6 4-6 7a2 2 0 0 0 2 2c1.5 0 2.5-1 4-1'
    's2.5 1 4 1a2 2 0 0 0 2-2c0-3-3-7-6-7z"/>',
    "person": '<circle cx="12" cy="7" r="4"/><path d="M4 21v-2a6 6 0 0 1 6-6h4a6 6 0 0 1 6 6v2"/>',
    "document": '<path d="M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8zM14 2v6h6'
    'M16 13H8M16 17H8"/>',
    "truck": '<path d="M1 3h15v13H1zM16 8h4l3 3v5h-7z"/><circle cx="5.5" cy="18.5" r="2.5"/>'
    '<circle cx="18.5" cy="18.5" r="2.5"/>',
    "falling": '<circle cx="12" cy="12" r="10"/><path d="M8 12l4 4 4-4M12 8v8"/>',
    "cart": '<circle cx="9" cy="21" r="1"/><circle cx="20" cy="21" r="1"/>'
    '<path d="M1 1h4l2.7 13.4a2 2 0 0 0 2 1.6h9.7a2 2 0 0 0 2-1.6L23 6H6"/>',
    "house": '<path d="M3 9l9-7 9 7v11a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2zM9 22V12h6v10"/>',
    "people": '<path d="M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2M23 21v-2a4 4 0 0 0-3-3.9'
    'M16 3.1a4 4 0 0 1 0 7.8"/><circle cx="9" cy="7" r="4"/>',
    "pencil": '<path d="M12 20h9M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z"/>',
    "camera": '<path d="M23 19a2 2 0 0 1-2 2H3a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h4l2-3h6l2 3h4'
    'a2 2 0 0 1 2 2z"/><circle cx="12" cy="13" r="4"/>',
}


def svg(name: str) -> SafeString:
    """The named drawing as an inline <svg>, hidden from screen readers."""
    shape = SHAPES.get(name, SHAPES["pencil"])
    return mark_safe(  # noqa: S308 - fixed markup from SHAPES above, nothing from input
        '<svg class="icon" viewBox="0 0 24 24" width="40" height="40" aria-hidden="true" '
        'focusable="false" fill="none" stroke="currentColor" stroke-width="2" '
        f'stroke-linecap="round" stroke-linejoin="round">{shape}</svg>'
    )
