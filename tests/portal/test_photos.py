"""Every uploaded image through the one photo pipeline (issue 17, item 2; portal.photos): the
review found micro-wish photos served with their GPS EXIF byte for byte, and a truncated JPEG
accepted there."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from portal.photos import PhotoField, process
from tests.services.test_actions import jpeg
from volunteers import actions


def _exif_of(field_file) -> dict:
    field_file.open("rb")
    try:
        with Image.open(field_file) as image:
            return dict(image.getexif())
    finally:
        field_file.close()


def _truncated() -> SimpleUploadedFile:
    whole = jpeg().read()
    return SimpleUploadedFile("cut.jpg", whole[: len(whole) // 2], content_type="image/jpeg")


def test_the_pipeline_drops_gps_and_refuses_truncated_files():
    clean = process(jpeg())
    with Image.open(io.BytesIO(clean.read())) as image:
        assert image.format == "JPEG" and not image.getexif()
        assert max(image.size) <= 1600
    with pytest.raises(ValidationError):
        process(_truncated())
    with pytest.raises(ValidationError):
        process(SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg"))


def test_a_wish_photo_goes_through_the_pipeline(territory, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    t = territory
    original = jpeg()
    assert 0x8825 in Image.open(io.BytesIO(original.read())).getexif()  # it carries GPS
    original.seek(0)
    wish = actions.post_wish(t.user("community_a"), t.a.community, "一台收音机", "王奶奶")
    actions.claim_wish(wish, t.user("unit_a"))
    wish = actions.fulfil_wish(wish, t.user("unit_a"), original)
    wish.refresh_from_db()
    assert wish.photo.name.endswith(".jpg") and _exif_of(wish.photo) == {}


def test_a_truncated_wish_photo_is_refused_and_nothing_changes(territory, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    t = territory
    wish = actions.post_wish(t.user("community_a"), t.a.community, "一台收音机", "王奶奶")
    actions.claim_wish(wish, t.user("unit_a"))
    with pytest.raises(ValidationError):
        actions.fulfil_wish(wish, t.user("unit_a"), _truncated())
    wish.refresh_from_db()
    assert wish.status == "claimed" and not wish.photo


def test_admin_image_fields_use_the_pipeline(db):
    from django.contrib import admin

    from centres.models import CentrePhoto

    field = CentrePhoto._meta.get_field("image")
    inline = next(
        inline_class(model, admin.site)
        for model, model_admin in admin.site._registry.items()
        for inline_class in model_admin.inlines
        if inline_class.model is CentrePhoto
    )
    form_field = inline.formfield_for_dbfield(field, request=None)
    assert isinstance(form_field, PhotoField)
    cleaned = form_field.clean(jpeg())
    with Image.open(io.BytesIO(cleaned.read())) as image:
        assert not image.getexif()
    with pytest.raises(ValidationError):
        form_field.clean(_truncated())
