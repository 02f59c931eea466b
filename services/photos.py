"""Case photos: at most 9 per case and kind, each through the one photo pipeline
(portal.photos: verified, re-encoded so no EXIF survives, size-limited)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from portal.photos import MAX_BYTES, MAX_PIXELS, MAX_SIDE, process

MAX_PHOTOS = 9
__all__ = ["MAX_BYTES", "MAX_PHOTOS", "MAX_PIXELS", "MAX_SIDE", "process", "process_all"]


def process_all(uploads, existing: int = 0) -> list[ContentFile]:
    uploads = list(uploads or [])
    if existing + len(uploads) > MAX_PHOTOS:
        raise ValidationError({"photos": _("At most %(n)s photos.") % {"n": MAX_PHOTOS}})
    out = []
    for upload in uploads:
        try:
            out.append(process(upload))
        except ValidationError as exc:
            raise ValidationError({"photos": exc.messages}) from exc
    return out
