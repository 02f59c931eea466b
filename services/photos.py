"""Photo intake: images only, at most 9 per case and kind, re-encoded so no EXIF survives.

Re-encoding from pixels (not copying the file) drops every metadata block, GPS included; the
orientation tag is applied first so the picture still stands the right way up."""

from __future__ import annotations

import io
import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTOS = 9
MAX_BYTES = 8 * 1024 * 1024
MAX_SIDE = 1600
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding


def process(upload) -> ContentFile:
    """Validate one upload and return a clean, resized JPEG, or raise ValidationError."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ValidationError(
            _("The photo %(name)s is larger than %(mb)s MB.")
            % {"name": getattr(upload, "name", ""), "mb": MAX_BYTES // (1024 * 1024)}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            probe.verify()
        upload.seek(0)
        image: Image.Image = Image.open(upload)
        if image.width * image.height > MAX_PIXELS:
            raise ValidationError(_("The photo is too large to process."))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            _("%(name)s is not an image (JPEG, PNG or WebP).")
            % {"name": getattr(upload, "name", "")}
        ) from exc
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    clean = Image.new(image.mode, image.size)
    clean.paste(image)  # pixels only: no info dict, no EXIF, no GPS
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85, optimize=True)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex[:12]}.jpg")


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
