"""Plumbing shared by the mediation operations: locking, events, who may act."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models.roles import OFFICE_ROLES
from grids.scope import may_act_on, scope_for
from mediation.models import Dispute, Event
from mediation.privacy import community_head_ids, is_mediator


def lock(dispute: Dispute | int, actor) -> Dispute:
    """The dispute, row-locked, if the actor may see it; else a ValidationError as if it did
    not exist (the pages turn out-of-scope into 404 before they get here)."""
    pk = getattr(dispute, "pk", dispute)
    found = (
        Dispute.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("community", "place")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise ValidationError({"dispute": _("No such dispute.")})
    return found


def event(dispute: Dispute, actor, action: str, note: str = "") -> Event:
    dispute.version += 1
    dispute.save()
    return Event.objects.create(
        dispute=dispute,
        actor=actor if actor and actor.is_authenticated else None,
        action=action,
        note=note[:200],
    )


def is_office(actor, dispute: Dispute) -> bool:
    """Territorial staff with an office (community and above) covering the dispute's place."""
    scope = scope_for(actor)
    return scope.is_superuser or (
        bool(scope.roles & OFFICE_ROLES) and may_act_on(actor, dispute.place)
    )


def is_head(actor, dispute: Dispute) -> bool:
    return actor is not None and actor.pk in community_head_ids(dispute.community)


def require_mediator(actor, dispute: Dispute) -> None:
    """The steps that touch the parties' details: the assigned mediators (and the head)."""
    if not (is_mediator(actor, dispute) or is_head(actor, dispute)):
        raise ValidationError({"actor": _("Only the dispute's mediators can do this.")})


def require_office(actor, dispute: Dispute) -> None:
    if not (is_office(actor, dispute) or is_head(actor, dispute)):
        raise ValidationError(
            {"actor": _("Only the community's office can assign mediators to this dispute.")}
        )


def require_open(dispute: Dispute) -> None:
    if not dispute.is_open:
        raise ValidationError(
            {"status": _("This dispute is %(status)s.") % {"status": dispute.get_status_display()}}
        )


def next_number(now=None) -> str:
    """TJ + date + a four-digit count of the day, under a transaction-scoped advisory lock."""
    day = timezone.localtime(now or timezone.now()).strftime("%Y%m%d")
    prefix = f"TJ{day}"
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [prefix])
    last = (
        Dispute.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{seq:04d}"
