"""The city 12345 link: what the platform tells us about a case (through the signed webhook),
the outbox rows the drain (services.city.drain) takes, marks sent or backs off, and putting
events it refused back in the outbox."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from services.actions.core import _event, _now
from services.models import Case, CityLink, CityOutbox, CityStatus


@transaction.atomic
def record_city_update(
    number: str, *, reference: str = "", dispatch: str = "", result: str = ""
) -> CityLink:
    """Store the city's reference, dispatch decision and result on the case, with a timeline
    entry. The case's state is the community's to change; the city's word is recorded."""
    case = Case.objects.select_for_update().filter(number=number).first()
    if case is None:
        raise ValidationError({"case": _("No such case.")})
    if not (reference or dispatch or result):
        raise ValidationError({"reference": _("Nothing to record.")})
    link, _created = CityLink.objects.get_or_create(case=case)
    changed = {}
    for name, value in (("reference", reference), ("dispatch", dispatch), ("result", result)):
        value = (value or "").strip()
        if value and getattr(link, name) != value:
            setattr(link, name, value[:40] if name == "reference" else value[:2000])
            changed[name] = getattr(link, name)
    link.save()
    if changed:
        _event(case, "city_update", None, case.state, "", changed, _now()).save()
    return link


@transaction.atomic
def requeue_city_events(ids, *, actor) -> int:
    """Put failed outbox events back in the queue, to be sent at once (after the city fixed
    what it refused). Only a superuser runs the city link; pending and sent events are left as
    they are. Returns how many were queued again."""
    if actor is None or not actor.is_superuser:
        raise ValidationError({"outbox": _("Only a superuser may resend events to the city.")})
    return (
        CityOutbox.objects.select_for_update()
        .filter(pk__in=list(ids), status=CityStatus.FAILED)
        .update(status=CityStatus.PENDING, next_attempt_at=timezone.now())
    )


# --- the outbox, as the drain sees it --------------------------------------------------------------
def take_city_head(now: datetime) -> CityOutbox | None:
    """Lock (in the caller's transaction) the oldest due event that heads its case's queue:
    no earlier event of the same case is still pending or failed. A head another drain holds
    is skipped, and so is everything behind it (not a head while the held one is pending), so
    two drains never send one case's events out of order, and each holds one row: no deadlock.
    """
    earlier = CityOutbox.objects.filter(
        case_id=OuterRef("case_id"),
        id__lt=OuterRef("id"),
        status__in=[CityStatus.PENDING, CityStatus.FAILED],
    )
    return (
        CityOutbox.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=CityStatus.PENDING, next_attempt_at__lte=now)
        .exclude(Exists(earlier))
        .order_by("next_attempt_at", "id")
        .first()
    )


def city_event_sent(row: CityOutbox) -> None:
    """Mark a locked row sent (committed with the caller's transaction, one event at a time)."""
    row.status = CityStatus.SENT
    row.sent_at = timezone.now()
    row.attempts += 1
    row.save(update_fields=["status", "sent_at", "attempts"])


def city_event_failed(row: CityOutbox, error: str, *, permanent: bool, retry_at: datetime) -> None:
    """Record a failed send of a locked row. Permanent (the city refused the payload): the row
    is failed, for staff to look at, and the case's later events wait behind it (their order
    holds). Otherwise this case alone waits until `retry_at`; other cases go on."""
    row.attempts += 1
    row.last_error = error[:500]
    if permanent:
        row.status = CityStatus.FAILED
    else:
        row.next_attempt_at = retry_at
    row.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])


def prune_city_outbox(before: datetime, batch: int = 10_000) -> int:
    """Delete the city outbox rows sent before `before` (in batches of `batch`, each its own
    transaction); returns how many. Sent rows are never read again (the drain takes pending
    ones, the head check unsent ones) and a province writes tens of millions a year, so the
    table is kept to the days in LINLI_OUTBOX_KEEP_DAYS instead of growing for ever. Pending
    and failed rows stay whatever their age."""
    total = 0
    while True:
        ids = list(
            CityOutbox.objects.filter(status=CityStatus.SENT, sent_at__lt=before).values_list(
                "pk", flat=True
            )[:batch]
        )
        if not ids:
            return total
        total += CityOutbox.objects.filter(pk__in=ids).delete()[0]
