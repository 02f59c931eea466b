"""Micro-wishes posted by residents: a photo through the case photo pipeline (EXIF and GPS
gone, images only), the community's review before the wall (approved, or refused with a reason
the resident sees), and bad input answered in words, never a 500, never saved twice."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from tests.volunteers.conftest import add_relative, photo
from volunteers import actions
from volunteers.models import MicroWish

pytestmark = pytest.mark.django_db

WISH = {"title": "想要一台收音机", "beneficiary": "本人", "contact": "13911112222"}


@pytest.fixture
def t(territory, media):
    add_relative(territory)  # resident_a lives in community a
    return territory


def _no_exif(field) -> None:
    with Image.open(field.path) as stored:
        assert not stored.getexif() and "exif" not in stored.info


def test_a_resident_posts_a_wish_with_a_photo_and_it_waits_for_review(client, t):
    upload = photo()
    assert Image.open(upload).getexif().get_ifd(0x8825)  # the phone's GPS was in it
    upload.seek(0)
    client.force_login(t.user("resident_a"))
    r = client.post("/volunteers/wishes/new/", {**WISH, "photo": upload}, follow=True)
    assert "The community office will look at it" in r.content.decode()
    wish = MicroWish.objects.get()
    assert wish.status == "pending" and wish.community == t.a.community
    assert wish.wish_photo.name.startswith("wishes/") and wish.wish_photo.name.endswith(".jpg")
    _no_exif(wish.wish_photo)
    # Not on the wall, nor in the API, until the community approves; the resident sees it.
    wall = client.get("/volunteers/wishes/").content.decode()
    assert 'id="posted-wishes"' in wall and "waiting for the community&#x27;s review" in wall
    assert 'id="wall"' not in wall
    with pytest.raises(ValidationError, match="not on the wall"):
        actions.claim_wish(wish, t.user("unit_a"))
    assert APIClient().get("/api/volunteers/wishes/").json()["results"] == []


def test_the_community_approves_and_the_wish_goes_on_the_wall(client, t):
    wish = actions.post_wish(t.user("resident_a"), t.a.community, "一副老花镜", "本人", "", photo())
    client.force_login(t.user("community_a"))
    page = client.get("/volunteers/staff/").content.decode()
    assert "一副老花镜" in page and f"/volunteers/staff/wishes/{wish.pk}/" in page
    r = client.post(f"/volunteers/staff/wishes/{wish.pk}/", {"decision": "approve"}, follow=True)
    assert "is on the wall" in r.content.decode()
    wish.refresh_from_db()
    assert wish.status == "open" and wish.moderated_by == t.user("community_a")
    wall = client.get("/volunteers/wishes/").content.decode()
    assert "一副老花镜" in wall and wish.wish_photo.url in wall
    assert "本人" not in wall  # the beneficiary and contact never leave the office
    # Approving again (a double tap) changes nothing; refusing now is refused.
    assert actions.moderate_wish(wish, t.user("community_a"), True).status == "open"
    with pytest.raises(ValidationError, match="already reviewed"):
        actions.moderate_wish(wish, t.user("community_a"), False, "重复")
    titles = [w["title"] for w in APIClient().get("/api/volunteers/wishes/").json()["results"]]
    assert titles == ["一副老花镜"]


def test_a_refusal_needs_a_reason_which_the_resident_sees(client, t):
    wish = actions.post_wish(t.user("resident_a"), t.a.community, "一台电视", "本人")
    client.force_login(t.user("community_a"))
    r = client.post(f"/volunteers/staff/wishes/{wish.pk}/", {"decision": "refuse"}, follow=True)
    assert "Say why the wish is refused." in r.content.decode()
    assert MicroWish.objects.get().status == "pending"
    client.post(
        f"/volunteers/staff/wishes/{wish.pk}/",
        {"decision": "refuse", "reason": "超出微心愿的金额范围"},
    )
    wish.refresh_from_db()
    assert wish.status == "refused" and wish.refusal_reason == "超出微心愿的金额范围"
    client.force_login(t.user("resident_a"))
    page = client.get("/volunteers/wishes/").content.decode()
    assert "超出微心愿的金额范围" in page
    assert 'id="wall"' not in page  # nothing approved, so nothing on the wall


def test_other_communities_cannot_review(client, t):
    wish = actions.post_wish(t.user("resident_a"), t.a.community, "一台风扇", "本人")
    with pytest.raises(ValidationError, match="community's staff"):
        actions.moderate_wish(wish, t.user("community_b"), True)
    client.force_login(t.user("community_b"))
    assert "一台风扇" not in client.get("/volunteers/staff/").content.decode()
    assert (
        client.post(f"/volunteers/staff/wishes/{wish.pk}/", {"decision": "approve"}).status_code
        == 404
    )
    client.force_login(t.user("grid_a"))  # a grid worker does not review community wishes
    assert (
        client.post(f"/volunteers/staff/wishes/{wish.pk}/", {"decision": "approve"}).status_code
        == 404
    )
    assert MicroWish.objects.get().status == "pending"


def test_a_file_that_is_not_an_image_is_refused_in_words(client, t):
    client.force_login(t.user("resident_a"))
    fake = SimpleUploadedFile("wish.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    r = client.post("/volunteers/wishes/new/", {**WISH, "photo": fake})
    assert r.status_code == 400
    assert "is not an image" in str(r.context["form"].errors["photo"])
    # A JPEG cut off half-way (a dropped upload) is refused too.
    whole = photo().read()
    cut = SimpleUploadedFile("cut.jpg", whole[: len(whole) // 2], content_type="image/jpeg")
    r = client.post("/volunteers/wishes/new/", {**WISH, "photo": cut})
    assert r.status_code == 400 and "photo" in r.context["form"].errors
    assert not MicroWish.objects.exists()


def test_a_double_tap_posts_one_wish(client, t):
    client.force_login(t.user("resident_a"))
    key = "w" * 32
    for _ in range(2):
        r = client.post("/volunteers/wishes/new/", {**WISH, "idempotency_key": key})
        assert r.status_code == 302
    # Even without the key (a form sent again by hand), the same wish is not saved twice.
    client.post("/volunteers/wishes/new/", WISH)
    assert MicroWish.objects.count() == 1


def test_bad_wish_input_never_500s(client, t):
    client.force_login(t.user("resident_a"))
    for data in ({**WISH, "title": ""}, {**WISH, "title": "长" * 81}, {**WISH, "beneficiary": ""}):
        assert client.post("/volunteers/wishes/new/", data).status_code == 400
    with pytest.raises(ValidationError, match="community you live in"):
        actions.post_wish(t.user("resident_a"), t.b.community, "别的社区", "本人")
    # Someone who lives in no community: told to register the household, nothing saved.
    client.force_login(t.user("unit_a"))
    r = client.post("/volunteers/wishes/new/", WISH)
    assert r.status_code == 400 and "Register your household" in r.content.decode()
    assert not MicroWish.objects.exists()


def test_the_fulfilment_photo_goes_through_the_pipeline(client, t):
    wish = actions.post_wish(t.user("community_a"), t.a.community, "冬天的棉被", "陈伯")
    assert wish.status == "open"  # posted by the office: on the wall at once
    client.force_login(t.user("unit_a"))
    client.post(f"/volunteers/wishes/{wish.pk}/claim/")
    cut = SimpleUploadedFile("x.jpg", photo().read()[:300], content_type="image/jpeg")
    r = client.post(f"/volunteers/wishes/{wish.pk}/fulfil/", {"photo": cut}, follow=True)
    assert r.status_code == 200 and "is not an image" in r.content.decode()
    assert MicroWish.objects.get().status == "claimed"
    client.post(f"/volunteers/wishes/{wish.pk}/fulfil/", {"photo": photo("done.jpg")})
    wish = MicroWish.objects.get()
    assert wish.status == "fulfilled"
    _no_exif(wish.photo)
    # Marking it fulfilled again (a double tap) is a no-op, not an error.
    assert actions.fulfil_wish(wish, t.user("unit_a")).status == "fulfilled"
