"""The one photo pipeline: every image uploaded anywhere (case photos, a fulfilled wish, a
centre's photos in the admin) is decoded in full, checked, re-encoded from its pixels and size
limited, so no EXIF (GPS included) or other metadata survives and a broken or truncated file is
refused with a field error.

Re-encoding from pixels (not copying the file) drops every metadata block; the orientation tag
is applied first so the picture still stands the right way up. services.photos adds the
per-case count on top; `PhotoField` is the form field (the admin uses it for every ImageField,
through portal.text.TextAdminMixin)."""

from __future__ import annotations

import io
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

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
        image.load()  # decodes every byte: a truncated file fails here
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


def is_new_upload(value) -> bool:
    """A file just uploaded (not the one already stored, not "clear")."""
    return isinstance(value, UploadedFile) or (
        isinstance(value, File) and not hasattr(value, "instance")
    )


class PhotoField(forms.ImageField):
    """An image form field whose cleaned value is the pipeline's re-encoded JPEG."""

    def clean(self, data, initial=None):
        value = super().clean(data, initial)
        if value and is_new_upload(value) and not isinstance(value, ContentFile):
            return process(value)
        return value
