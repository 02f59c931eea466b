"""Who may see a dispute's parties: stricter than cases.

Territorial staff whose scope covers the place see the dispute with a masked summary (kind,
place, status, dates; parties as "张*" and 138****5678). The details (names, phones,
addresses, facts, the terms, session notes) are for two kinds of people only:

- the mediators assigned to the dispute (mediation.Mediator), and
- the community's head: the current grid head (网格长) of the community's level-1 grid. In the
  three-level grids a level-1 grid is the whole community and its head is the community's party
  secretary or director (grids.GridTeamMember, role grid_head, grid_level 1). A community with
  no level-1 grid head has none: only its mediators see the details.

Even they see the details only through `reveal`, which writes one row per party to the access
log (grids.AccessLog, the record named by the dispute's number), as services does for a case's
reporter. Residents see their own dispute without the other side's details.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import GridTeamMember
from grids.models.teams import TeamRole
from grids.privacy import mask_phone, reveal_on_record
from grids.querysets import current_q


def mask_name(name: str | None) -> str:
    """张* / 欧阳** : the first character and a star for each of the rest."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def community_head_ids(community) -> set[int]:
    """The accounts that are the community's head today (see the module docstring)."""
    return set(
        GridTeamMember.objects.filter(
            current_q(timezone.localdate()),
            role=TeamRole.GRID_HEAD,
            grid__grid_level=1,
            grid__path__startswith=community.path,
            user__isnull=False,
        ).values_list("user_id", flat=True)
    )


def is_mediator(user, dispute) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(dispute, "_mediator_ids", None)
    if cached is None:
        cached = {m.user_id for m in dispute.mediators.all()}
        dispute._mediator_ids = cached
    return user.pk in cached


def may_see_details(user, dispute) -> bool:
    """THE answer to "may this user see the parties of this dispute": an assigned mediator or
    the community's head. Nobody else, not street staff, not a superuser."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return is_mediator(user, dispute) or user.pk in community_head_ids(dispute.community)


def masked_parties(dispute) -> list[dict]:
    """The parties as everyone else in scope sees them."""
    return [
        {
            "pk": p.pk,
            "side": p.get_side_display(),
            "kind": p.get_kind_display(),
            "name": mask_name(p.name),
            "phone": mask_phone(p.phone),
            "address": _("(hidden)") if p.address else "",
            "signed_at": p.signed_at,
        }
        for p in dispute.parties.all()
    ]


def reveal(user, dispute, reason: str) -> list[dict]:
    """The parties' full details for `user`, each written to the access log with the reason.
    Not theirs to see: PermissionDenied. No reason: ValidationError naming it."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you need the parties' details.")})
    if not may_see_details(user, dispute):
        raise PermissionDenied
    parties = list(dispute.parties.all())
    with transaction.atomic():
        for p in parties:
            reveal_on_record(
                user,
                phone=p.phone,
                name=p.name,
                area=dispute.place,
                record=f"{_('Dispute')} {dispute.number}",
                reason=reason,
                entitled=True,
            )
    return [
        {
            "pk": p.pk,
            "side": p.get_side_display(),
            "kind": p.get_kind_display(),
            "name": p.name,
            "phone": p.phone,
            "address": p.address,
            "signed_at": p.signed_at,
        }
        for p in parties
    ]
