"""Taking a dispute in: from the desk, from a grid worker, from a resident on the phone, or by
converting a neighbour-dispute 12345 case (whose state then moves through services.actions)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from grids.models import Area, CoBuildingUnit, Household, Resident
from grids.models.roles import Role
from grids.scope import may_act_on, scope_for
from mediation.actions.common import event, next_number
from mediation.choices import DisputeKind, PartyKind, Side, Source
from mediation.models import Dispute, Party
from services.actions.intake import normalise_phone

PLACE_KINDS = ("community", "grid", "estate", "building")


@dataclass
class PartyIn:
    side: str
    name: str
    kind: str = PartyKind.RESIDENT
    phone: str = ""
    address: str = ""
    resident: Resident | None = None
    household: Household | None = None
    unit: CoBuildingUnit | None = None


def _clean_parties(parties: list[PartyIn]) -> list[PartyIn]:
    errors: list[str] = []
    out = []
    for i, p in enumerate(parties, 1):
        name = (p.name or "").strip()
        if not name:
            errors.append(_("Party %(n)s: give a name.") % {"n": i})
            continue
        if len(name) > 100 or len(p.address or "") > 200:
            errors.append(_("Party %(n)s: the name or address is too long.") % {"n": i})
            continue
        if p.side not in Side.values or p.kind not in PartyKind.values:
            errors.append(_("Party %(n)s: choose the side and kind.") % {"n": i})
            continue
        try:
            phone = normalise_phone(p.phone)
        except ValidationError:
            errors.append(
                _("Party %(n)s: enter a mobile number (11 digits) or a landline.") % {"n": i}
            )
            continue
        out.append(
            PartyIn(
                side=p.side,
                name=name,
                kind=p.kind,
                phone=phone,
                address=(p.address or "").strip(),
                resident=p.resident,
                household=p.household,
                unit=p.unit,
            )
        )
    if errors:
        raise ValidationError({"parties": errors})
    sides = {p.side for p in out}
    if Side.APPLICANT not in sides or Side.RESPONDENT not in sides:
        raise ValidationError(
            {"parties": [_("A dispute needs at least one applicant and one respondent.")]}
        )
    if len(out) > 20:
        raise ValidationError({"parties": [_("At most 20 parties.")]})
    return out


def _clean_text(kind: str, summary: str, facts: str) -> tuple[str, str]:
    errors: dict[str, str] = {}
    if kind not in DisputeKind.values:
        errors["kind"] = _("Choose the kind of dispute.")
    summary, facts = (summary or "").strip(), (facts or "").strip()
    if not summary:
        errors["summary"] = _("Write a short summary without names or numbers.")
    elif len(summary) > 120:
        errors["summary"] = _("Keep the summary within 120 characters.")
    if not facts:
        errors["facts"] = _("Describe the dispute and what each side asks.")
    elif len(facts) > 4000:
        errors["facts"] = _("Keep the description within 4000 characters.")
    if errors:
        raise ValidationError(errors)
    return summary, facts


def _community(place: Area) -> Area:
    if place is None or place.kind not in PLACE_KINDS:
        raise ValidationError({"place": _("Choose a community, grid, estate or building.")})
    community = place if place.kind == "community" else place.ancestor_of_kind("community")
    if community is None:
        raise ValidationError({"place": _("This place is not inside a community.")})
    return community


def _create(
    *,
    actor,
    place: Area,
    kind: str,
    summary: str,
    facts: str,
    parties: list[PartyIn],
    source: str,
    requested_by=None,
    case=None,
) -> Dispute:
    community = _community(place)
    summary, facts = _clean_text(kind, summary, facts)
    clean = _clean_parties(parties)
    dispute = Dispute.objects.create(
        number=next_number(),
        community=community,
        place=place,
        kind=kind,
        source=source,
        summary=summary,
        facts=facts,
        case=case,
        requested_by=requested_by,
        received_by=actor if source != Source.RESIDENT else None,
    )
    Party.objects.bulk_create(
        [
            Party(
                dispute=dispute,
                side=p.side,
                kind=p.kind,
                name=p.name,
                phone=p.phone,
                address=p.address,
                resident=p.resident,
                household=p.household,
                unit=p.unit,
            )
            for p in clean
        ]
    )
    event(dispute, actor, "received")
    return dispute


@transaction.atomic
def open_dispute(
    *,
    actor,
    place: Area,
    kind: str,
    summary: str,
    facts: str,
    parties: list[PartyIn],
) -> Dispute:
    """受理: staff take a dispute in at the desk, or a grid worker on patrol (the source says
    which). The actor's scope must cover the place."""
    scope = scope_for(actor)
    if not scope.is_territorial or not may_act_on(actor, place):
        raise ValidationError({"place": _("This place lies outside your area.")})
    only_grid = not scope.is_superuser and scope.roles & {*scope.paths_by_role} == {
        Role.GRID_WORKER
    }
    source = Source.GRID if only_grid else Source.DESK
    return _create(
        actor=actor,
        place=place,
        kind=kind,
        summary=summary,
        facts=facts,
        parties=parties,
        source=source,
    )


def household_of(user) -> Household | None:
    """The household a resident account belongs to (their resident role), or None."""
    hid = next(iter(scope_for(user).household_ids), None)
    if hid is None:
        return None
    return Household.objects.select_related("building").filter(pk=hid).first()


@transaction.atomic
def request_mediation(
    *,
    actor,
    kind: str,
    facts: str,
    other_party: str,
    other_address: str = "",
    phone: str = "",
) -> Dispute:
    """A resident asks for mediation on the phone: they are the applicant, the other side is
    named as they give it; the dispute is placed at their building."""
    household = household_of(actor)
    if household is None:
        raise ValidationError(
            {"actor": _("Only a resident registered in a household can ask for mediation.")}
        )
    me = Resident.objects.filter(user=actor).first()
    name = (me.name if me else "") or getattr(actor, "display_name", "") or actor.get_username()
    phone = phone or (me.phone if me else "") or (actor.phone or "")
    facts = (facts or "").strip()
    summary = DisputeKind(kind).label if kind in DisputeKind.values else ""
    building = household.building
    return _create(
        actor=actor,
        place=building,
        kind=kind,
        summary=str(summary)[:120],
        facts=facts,
        parties=[
            PartyIn(
                side=Side.APPLICANT,
                name=name,
                phone=phone,
                address=f"{building.name} {household.room}",
                resident=me,
                household=household,
            ),
            PartyIn(side=Side.RESPONDENT, name=other_party, address=other_address),
        ],
        source=Source.RESIDENT,
        requested_by=actor,
    )


def dispute_categories() -> tuple[str, ...]:
    return tuple(settings.LINLI_MEDIATION_CASE_CATEGORIES)


def is_dispute_case(case) -> bool:
    """A case of the neighbour-dispute kind: its category or its parent has one of the codes
    of MEDIATION_CASE_CATEGORIES."""
    codes = dispute_categories()
    cat = case.category
    return cat.code in codes or (cat.parent_id is not None and cat.parent.code in codes)


@transaction.atomic
def convert_case(
    case, *, actor, kind: str = DisputeKind.NEIGHBOUR, respondent: str = "", summary: str = ""
) -> Dispute:
    """转人民调解: a neighbour-dispute 12345 case becomes a dispute linked to it. The case is
    signed for if it was only dispatched, and a progress note names the dispute; when the
    mediation ends the case is resolved with reference to it (mediation.actions.outcome)."""
    from services import actions as case_actions
    from services.actions.core import may_handle
    from services.choices import State
    from services.models import Case

    found = (
        Case.objects.visible_to(actor)
        .select_related("category__parent", "place")
        .filter(pk=getattr(case, "pk", case))
        .first()
    )
    if found is None:
        raise ValidationError({"case": _("No such case.")})
    if Dispute.objects.filter(case=found).exists():
        raise ValidationError({"case": _("This case is already in mediation.")})
    if not is_dispute_case(found):
        raise ValidationError({"case": _("Only a neighbour-dispute case can go to mediation.")})
    if found.state not in (State.DISPATCHED, State.SIGNED, State.IN_PROGRESS):
        raise ValidationError(
            {"case": _("Only a dispatched case that is still open can go to mediation.")}
        )
    if not may_handle(actor, found):
        raise ValidationError({"actor": _("You are not the handling unit of this case.")})
    dispute = _create(
        actor=actor,
        place=found.place,
        kind=kind,
        summary=summary or f"{found.category.name}",
        facts=found.description,
        parties=[
            PartyIn(
                side=Side.APPLICANT,
                name=found.reporter_name or _("reporter of case %(n)s") % {"n": found.number},
                phone=found.reporter_phone,
                address=found.address,
            ),
            PartyIn(
                side=Side.RESPONDENT,
                name=respondent or _("the other side (to be named)"),
            ),
        ],
        source=Source.CASE,
        requested_by=found.reporter,
        case=found,
    )
    if found.state == State.DISPATCHED:
        case_actions.sign_for(found, actor=actor)
    case_actions.add_progress(
        found,
        actor=actor,
        note=_("Passed to people's mediation, dispute %(n)s.") % {"n": dispute.number},
    )
    return dispute
