"""Many cases on one place and category become a proposed matter (由案转议): the same
complaint keeps coming back, so it is put to the residents instead of handled case by case."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.actions.common import log
from deliberation.models import Matter, MatterKind, Source, Status


def _kind() -> MatterKind | None:
    code = getattr(settings, "LINLI_DELIB_CASES_KIND", "public-affairs")
    kinds = MatterKind.objects.filter(is_active=True).select_related("preset")
    return kinds.filter(code=code).first() or kinds.order_by("pk").first()


def propose_from_cases(*, actor=None, now=None) -> list[Matter]:
    """Propose one matter per (place, category) with at least LINLI_DELIB_CASES_MIN cases in
    the last LINLI_DELIB_CASES_DAYS days, unless one is already open for that pair. Idempotent
    (a partial unique index holds one open matter per pair): the periodic task and a staff
    member pressing the button at once propose it once. Staff propose within their scope."""
    from services.choices import State
    from services.models import Case

    now = now or timezone.now()
    least = getattr(settings, "LINLI_DELIB_CASES_MIN", 5)
    days = getattr(settings, "LINLI_DELIB_CASES_DAYS", 90)
    kind = _kind()
    if kind is None:
        return []
    every: QuerySet = Case.objects.visible_to(actor) if actor is not None else Case.objects.all()
    cases = every.filter(created_at__gte=now - timedelta(days=days)).exclude(
        state__in=[State.MERGED, State.NOT_ACCEPTED]
    )
    groups = (
        cases.filter(place__kind__in=["community", "grid", "estate", "building"])
        .values("place_id", "place__name", "category_id", "category__name")
        .annotate(n=Count("pk"))
        .filter(n__gte=least)
        .order_by("place_id", "category_id")
    )
    open_keys = set(
        Matter.objects.exclude(status__in=[Status.DONE, Status.DECLINED])
        .exclude(promoted_key="")
        .values_list("promoted_key", flat=True)
    )
    made = []
    for g in groups:
        key = f"{g['place_id']}:{g['category_id']}"
        if key in open_keys:
            continue
        numbers = list(
            cases.filter(place_id=g["place_id"], category_id=g["category_id"])
            .order_by("created_at")
            .values_list("number", flat=True)[:50]
        )
        try:
            with transaction.atomic():
                matter = Matter.objects.create(
                    area_id=g["place_id"],
                    kind=kind,
                    title=(
                        _("%(place)s: %(category)s (%(n)s cases)")
                        % {"place": g["place__name"], "category": g["category__name"], "n": g["n"]}
                    )[:120],
                    description=_(
                        "%(n)s cases about %(category)s at %(place)s in %(days)s days: "
                        "proposed for the residents to deliberate."
                    )
                    % {
                        "n": g["n"],
                        "category": g["category__name"],
                        "place": g["place__name"],
                        "days": days,
                    },
                    source=Source.CASES,
                    raised_by=actor,
                    status=Status.PROPOSED,
                    vote_unit=kind.vote_unit,
                    quorum=kind.quorum,
                    majority=kind.majority,
                    weighted_by_area=kind.weighted_by_area,
                    secret=kind.secret,
                    promoted_key=key,
                    case_numbers=numbers,
                )
                log(matter, "raised", actor, Source.CASES.value)
        except IntegrityError:
            continue  # proposed meanwhile by the other path
        made.append(matter)
    return made
