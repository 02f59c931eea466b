"""Micro-wishes 微心愿: a resident posts one (with a photo, through the case photo pipeline),
the community reviews it before it goes on the wall, a volunteer or unit claims it and marks
it fulfilled (with a photo through the same pipeline)."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Area, CoBuildingUnit
from grids.scope import may_act_on, scope_for
from services import photos
from volunteers.actions._base import _refuse, community_of, record_review
from volunteers.models import MicroWish, WishStatus

# A second identical wish from the same person within this time is the first one again (a
# double tap, or a form sent twice by a flaky connection).
SAME_WISH_WINDOW = timedelta(minutes=10)


def _clean_photo(upload, field: str):
    """An uploaded photo through services.photos (images only, EXIF and GPS dropped,
    re-encoded); a refusal is keyed by the form's field."""
    if not upload:
        return None
    try:
        return photos.process(upload)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc


@transaction.atomic
def post_wish(
    actor,
    community: Area,
    title: str,
    beneficiary: str,
    contact: str = "",
    photo=None,
) -> MicroWish:
    """Post a wish. A resident posts in the community they live in, and the wish waits for
    the community's review; a wish the community's staff post is on the wall at once (they
    are the reviewers). The same wish sent twice in a row is saved once."""
    title, beneficiary = (title or "").strip(), (beneficiary or "").strip()
    if not title:
        _refuse(_("Say what the wish is."), "title")
    if len(title) > 80:
        _refuse(_("Keep the wish under 80 characters."), "title")
    if not beneficiary:
        _refuse(_("Say who the wish is for."), "beneficiary")
    staff = may_act_on(actor, community)
    if not staff:
        home = community_of(actor)
        if home is None or home.pk != community.pk:
            _refuse(_("You can post a wish only in the community you live in."), "community")
    twin = (
        MicroWish.objects.select_for_update()
        .filter(
            posted_by=actor,
            community=community,
            title=title,
            beneficiary=beneficiary[:60],
            created_at__gte=timezone.now() - SAME_WISH_WINDOW,
        )
        .first()
    )
    if twin is not None:
        return twin
    clean = _clean_photo(photo, "photo")
    now = timezone.now()
    wish = MicroWish(
        community=community,
        posted_by=actor,
        title=title,
        beneficiary=beneficiary[:60],
        contact=(contact or "").strip()[:60],
        status=WishStatus.OPEN if staff else WishStatus.PENDING,
        moderated_by=actor if staff else None,
        moderated_at=now if staff else None,
    )
    if clean is not None:
        wish.wish_photo.save(clean.name, clean, save=False)
    wish.save()
    return wish


@transaction.atomic
def moderate_wish(wish: MicroWish, actor, approve: bool, reason: str = "") -> MicroWish:
    """The community reviews a resident's wish: approved, it goes on the wall (open to be
    claimed); refused, it stays off with the reason, which the resident sees. Deciding the
    same way twice is a no-op; changing a decision is refused."""
    wish = MicroWish.objects.select_for_update().get(pk=wish.pk)
    if not may_act_on(actor, wish.community):
        _refuse(_("Only the community's staff may review a wish."))
    record_review(
        wish,
        actor,
        accept=approve,
        accepted=WishStatus.OPEN,
        refused=WishStatus.REFUSED,
        pending=WishStatus.PENDING,
        reason=reason,
        by="moderated_by",
        at="moderated_at",
        already=_("This wish was already reviewed."),
        say_why=_("Say why the wish is refused."),
    )
    return wish


@transaction.atomic
def claim_wish(wish: MicroWish, user, unit=None) -> MicroWish:
    """Claim an open wish (one conditional UPDATE: two claimers cannot both win; a wish not
    yet approved cannot be claimed). A member of a co-building unit claims for their unit
    unless another unit is named."""
    if unit is None:
        units = scope_for(user).unit_ids
        unit = CoBuildingUnit.objects.filter(pk=units[0]).first() if units else None
    taken = MicroWish.objects.filter(pk=wish.pk, status=WishStatus.OPEN).update(
        status=WishStatus.CLAIMED, claimed_by=user, claimed_unit=unit, claimed_at=timezone.now()
    )
    if not taken:
        current = MicroWish.objects.filter(pk=wish.pk).values_list("status", flat=True).first()
        if current in (WishStatus.PENDING, WishStatus.REFUSED):
            _refuse(_("This wish is not on the wall."), "status")
        _refuse(_("Someone has already claimed this wish."), "status")
    wish.refresh_from_db()
    return wish


@transaction.atomic
def fulfil_wish(wish: MicroWish, user, photo=None) -> MicroWish:
    """Whoever claimed the wish (or the community's staff) marks it fulfilled, with a photo
    through the case photo pipeline. A bad photo is refused and the wish stays claimed."""
    wish = MicroWish.objects.select_for_update().get(pk=wish.pk)
    if wish.claimed_by_id != user.pk and not may_act_on(user, wish.community):
        _refuse(_("Only whoever claimed the wish may fulfil it."))
    if wish.status == WishStatus.FULFILLED:
        return wish  # a repeated click
    if wish.status != WishStatus.CLAIMED:
        _refuse(_("Nobody has claimed this wish yet."), "status")
    clean = _clean_photo(photo, "photo")
    wish.status, wish.fulfilled_at = WishStatus.FULFILLED, timezone.now()
    if clean is not None:
        wish.photo.save(clean.name, clean, save=False)
    wish.save()
    return wish
