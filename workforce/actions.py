"""The workforce's write operations: THE one write path for workers, their history, the
yearly assessments, promotion proposals and pay tables. Views, the API, the admin, the Excel
import and the demo seed call these; the models say so (`written_by = "workforce.actions"`).

Each operation runs in a transaction, checks the actor (`actor=None` is the system: seeds and
imports already checked), appends to the worker's history (WorkerChange) in the same
transaction, and raises ValidationError naming the field when it refuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids import actions as grid_actions
from grids.models import Area, GridTeamMember, TeamRole
from grids.models.roles import CATALOGUE_EDITORS, OFFICE_ROLES
from grids.scope import scope_for
from workforce.ladder import due_promotion, ladder_for, result_for, weighted_total
from workforce.models import (
    Assessment,
    ChangeKind,
    ContractKind,
    Education,
    Ladder,
    PayRate,
    PayTable,
    Position,
    PromotionProposal,
    PromotionRule,
    ProposalStatus,
    Qualification,
    Sequence,
    Worker,
    WorkerChange,
)
from workforce.privacy import may_decide

# What update_worker may change (grade and sequence go through set_grade, leaving through
# end_service, grids through assign_to_grid).
DETAIL_FIELDS = (
    "name",
    "phone",
    "community",
    "position",
    "contract_kind",
    "contract_ends_on",
    "qualification",
    "education",
    "started_on",
    "user",
)
_CHOICES = {
    "position": Position,
    "contract_kind": ContractKind,
    "qualification": Qualification,
    "education": Education,
}


def _check_office(actor, community: Area, field: str = "community") -> None:
    """Community staff and above whose scope covers the community."""
    if actor is None:
        return
    scope = scope_for(actor)
    if not (scope.has_role(*OFFICE_ROLES) and scope.covers_area(community)):
        raise ValidationError({field: _("This lies outside your area.")})


def _check_street(actor, worker: Worker, field: str) -> None:
    if actor is not None and not may_decide(actor, worker):
        raise ValidationError({field: _("Only the street's staff office decides this.")})


def _plain(value: Any) -> Any:
    """A value as it goes into the history's JSON."""
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return str(value)
    return str(value)


def _log(worker: Worker, kind: str, actor, changes: dict | None = None, note: str = ""):
    return WorkerChange.objects.create(
        worker=worker, kind=kind, actor=actor, changes=changes or {}, note=note[:200]
    )


def _check_choices(values: Mapping[str, Any]) -> None:
    errors = {}
    for name, choices in _CHOICES.items():
        if name in values and values[name] not in choices.values:
            errors[name] = [_("Choose one of the listed values.")]
    if errors:
        raise ValidationError(errors)


def _check_grade(sequence: Sequence, grade: int, community: Area) -> None:
    ladder = sequence.ladder
    if ladder_for(community) != ladder:
        raise ValidationError({"sequence": _("This sequence belongs to another city's ladder.")})
    cap = min(sequence.max_grade, ladder.grade_count)
    if not isinstance(grade, int) or not 1 <= grade <= cap:
        raise ValidationError(
            {
                "grade": _("Grades of %(sequence)s run from 1 to %(cap)s.")
                % {"sequence": sequence.name, "cap": cap}
            }
        )


def create_worker(
    *,
    community: Area,
    name: str,
    position: str,
    sequence: Sequence,
    grade: int,
    started_on: date,
    grade_since: date | None = None,
    user=None,
    phone: str = "",
    contract_kind: str = ContractKind.LABOUR,
    contract_ends_on: date | None = None,
    qualification: str = Qualification.NONE,
    education: str = Education.COLLEGE,
    actor=None,
) -> Worker:
    """Enter a community worker, with the first line of their history."""
    with transaction.atomic():
        if community.kind != "community":
            raise ValidationError({"community": _("Workers belong to a community.")})
        _check_office(actor, community)
        if not (name or "").strip():
            raise ValidationError({"name": _("This field is required.")})
        values = {
            "position": position,
            "contract_kind": contract_kind,
            "qualification": qualification,
            "education": education,
        }
        _check_choices(values)
        _check_grade(sequence, grade, community)
        worker = Worker(
            community=community,
            name=name.strip(),
            phone=phone,
            sequence=sequence,
            grade=grade,
            grade_since=grade_since or started_on,
            started_on=started_on,
            contract_ends_on=contract_ends_on,
            user=user,
            **values,
        )
        worker.full_clean(exclude=["community", "sequence", "user"])
        if user is not None and Worker.objects.filter(user=user).exists():
            raise ValidationError({"user": _("This account already belongs to a worker.")})
        worker.save()
        _log(
            worker,
            ChangeKind.CREATED,
            actor,
            {
                "community": [None, community.name],
                "position": [None, worker.position],
                "sequence": [None, sequence.name],
                "grade": [None, grade],
            },
        )
    return worker


def update_worker(worker: Worker, *, actor=None, note: str = "", **values) -> Worker:
    """Change a worker's details (DETAIL_FIELDS); the history keeps before and after. A move
    to another community needs the actor's scope over both."""
    unknown = set(values) - set(DETAIL_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This cannot be changed here.")})
    with transaction.atomic():
        worker = _locked(worker)
        _check_office(actor, worker.community)
        _check_choices(values)
        target = values.get("community", worker.community)
        if target.pk != worker.community_id:
            if target.kind != "community":
                raise ValidationError({"community": _("Workers belong to a community.")})
            _check_office(actor, target)
            if ladder_for(target) != worker.sequence.ladder:
                raise ValidationError(
                    {"community": _("That community's city keeps another ladder.")}
                )
        user = values.get("user", worker.user)
        if user is not None and Worker.objects.filter(user=user).exclude(pk=worker.pk).exists():
            raise ValidationError({"user": _("This account already belongs to a worker.")})
        changes = {}
        for name, value in values.items():
            before = getattr(worker, name)
            if before != value:
                changes[name] = [_plain(before), _plain(value)]
                setattr(worker, name, value)
        if not changes:
            return worker
        worker.full_clean(exclude=["community", "sequence", "user"])
        worker.save()
        _log(worker, ChangeKind.CHANGED, actor, changes, note)
    return worker


def set_grade(
    worker: Worker,
    *,
    grade: int,
    sequence: Sequence | None = None,
    since: date | None = None,
    actor=None,
    note: str = "",
) -> Worker:
    """Move a worker to a grade (and sequence); the years in grade count again from `since`.
    Community staff over the worker correct grades; promotions go through decide_proposal."""
    with transaction.atomic():
        worker = _locked(worker)
        _check_office(actor, worker.community, "grade")
        return _move(worker, grade, sequence, since, actor, note)


def _locked(worker: Worker) -> Worker:
    return (
        Worker.objects.select_for_update(of=("self",))
        .select_related("community", "sequence__ladder")
        .get(pk=worker.pk)
    )


def _move(worker: Worker, grade, sequence, since, actor, note) -> Worker:
    sequence = sequence or worker.sequence
    _check_grade(sequence, grade, worker.community)
    if sequence.pk == worker.sequence_id and grade == worker.grade:
        return worker
    changes = {
        "sequence": [worker.sequence.name, sequence.name],
        "grade": [worker.grade, grade],
    }
    worker.sequence, worker.grade = sequence, grade
    worker.grade_since = since or timezone.localdate()
    worker.save(update_fields=["sequence", "grade", "grade_since", "updated_at"])
    _log(worker, ChangeKind.GRADE, actor, changes, note)
    return worker


def end_service(worker: Worker, left_on: date | None = None, *, actor=None, note="") -> Worker:
    """A worker leaves: the date is kept, and their grid memberships end the same day
    (through grids.actions, which ends the grid_worker role with them)."""
    left_on = left_on or timezone.localdate()
    with transaction.atomic():
        worker = _locked(worker)
        _check_office(actor, worker.community, "left_on")
        if worker.left_on is not None:
            raise ValidationError({"left_on": _("This worker has already left.")})
        if left_on < worker.started_on:
            raise ValidationError({"left_on": _("The leaving date is before the start date.")})
        worker.left_on = left_on
        worker.save(update_fields=["left_on", "updated_at"])
        if worker.user_id:
            for member in GridTeamMember.objects.current(left_on).filter(user_id=worker.user_id):
                grid_actions.end_team_membership(member, left_on, actor=actor)
        _log(worker, ChangeKind.LEFT, actor, {"left_on": [None, left_on.isoformat()]}, note)
    return worker


def assign_to_grid(
    worker: Worker,
    grid: Area,
    *,
    role: str = TeamRole.FULL_TIME,
    starts_on: date | None = None,
    actor=None,
) -> GridTeamMember:
    """Put a worker on a grid's team. The roster (grids.GridTeamMember, with the grid_worker
    role for a full-time member) stays the one record of who holds a grid: this calls
    grids.actions.appoint_team_member with the worker's account and notes it in the history."""
    with transaction.atomic():
        worker = _locked(worker)
        if not grid.path.startswith(worker.community.path):
            raise ValidationError({"grid": _("The grid lies outside the worker's community.")})
        if role == TeamRole.FULL_TIME and worker.user_id is None:
            raise ValidationError(
                {"grid": _("A full-time grid worker needs an account to hold the grid.")}
            )
        member = grid_actions.appoint_team_member(
            grid,
            role=role,
            name=worker.name,
            phone=worker.phone,
            user=worker.user,
            starts_on=starts_on,
            actor=actor,
        )
        _log(
            worker,
            ChangeKind.GRID,
            actor,
            {"grid": [None, grid.name], "team_role": [None, member.role]},
        )
    return member


def _score(value, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        score = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: _("Enter a score from 0 to 100.")}) from exc
    if not Decimal(0) <= score <= Decimal(100):
        raise ValidationError({field: _("Enter a score from 0 to 100.")})
    return score


def record_assessment(
    worker: Worker,
    year: int,
    *,
    report: str,
    report_score=None,
    residents_score=None,
    street_score=None,
    party_report: str = "",
    party_score=None,
    actor=None,
) -> Assessment:
    """Record (or correct) a worker's yearly assessment. The total is the ladder's weighted
    mean and sets the result. Secretaries are assessed 双述双评双考: their party-building
    report and its review are required. The street's staff office records it."""
    with transaction.atomic():
        worker = _locked(worker)
        _check_street(actor, worker, "year")
        if not isinstance(year, int) or not 2000 <= year <= timezone.localdate().year:
            raise ValidationError({"year": _("Enter a past or the current year.")})
        if not (report or "").strip():
            raise ValidationError({"report": _("The written report (述职) is required.")})
        scores = {
            "report_score": _score(report_score, "report_score"),
            "residents_score": _score(residents_score, "residents_score"),
            "street_score": _score(street_score, "street_score"),
            "party_score": _score(party_score, "party_score"),
        }
        if scores["residents_score"] is None or scores["street_score"] is None:
            field = "residents_score" if scores["residents_score"] is None else "street_score"
            raise ValidationError({field: _("Both reviews (residents and street) are required.")})
        if worker.is_secretary and (not party_report.strip() or scores["party_score"] is None):
            raise ValidationError(
                {"party_report": _("A secretary also reports and is reviewed on party building.")}
            )
        ladder = worker.sequence.ladder
        total = weighted_total(
            ladder,
            report=scores["report_score"],
            residents=scores["residents_score"],
            street=scores["street_score"],
            party=scores["party_score"],
            secretary=worker.is_secretary,
        )
        result = result_for(ladder, total)
        assessment, created = Assessment.objects.update_or_create(
            worker=worker,
            year=year,
            defaults={
                "report": report.strip(),
                "party_report": party_report.strip(),
                "total": total,
                "result": result,
                "recorded_by": actor,
                **scores,
            },
        )
        _log(
            worker,
            ChangeKind.ASSESSED,
            actor,
            {"year": [None, year], "total": [None, str(total)], "result": [None, result]},
            "" if created else _("corrected"),
        )
    return assessment


def propose_promotions(street: Area, year: int, *, actor=None) -> list[PromotionProposal]:
    """The year's proposals for the street's workers by their city's rules (idempotent: a
    worker who already has a proposal for the year keeps it). Returns the new ones."""
    if street.kind not in ("street", "community"):
        raise ValidationError({"area": _("Promotions are proposed for a street.")})
    if actor is not None:
        scope = scope_for(actor)
        if not scope.is_superuser and not any(
            street.path.startswith(p) for p in scope.paths_by_role.get("street_staff", ())
        ):
            raise ValidationError({"area": _("Only the street's staff office decides this.")})
    ladder = ladder_for(street)
    if ladder is None:
        raise ValidationError({"area": _("This city has no ladder yet.")})
    rules = list(PromotionRule.objects.filter(ladder=ladder))
    on = date(year, 12, 31)
    with transaction.atomic():
        workers = list(
            Worker.objects.active(on)
            .filter(community__path__startswith=street.path, sequence__ladder=ladder)
            .exclude(proposals__year=year)
            .select_related("sequence")
            .select_for_update(of=("self",))
        )
        results: dict[int, dict[int, str]] = {}
        for wid, y, result in Assessment.objects.filter(
            worker__in=workers, year__lte=year
        ).values_list("worker_id", "year", "result"):
            results.setdefault(wid, {})[y] = result
        made = []
        for worker in workers:
            due = due_promotion(worker, ladder, rules, results.get(worker.pk, {}), year)
            if due is None:
                continue
            made.append(
                PromotionProposal(
                    worker=worker,
                    year=year,
                    sequence=worker.sequence,
                    from_grade=worker.grade,
                    to_grade=due.to_grade,
                    rule=due.rule,
                    reasons=due.reasons,
                )
            )
        PromotionProposal.objects.bulk_create(made)
    return made


def decide_proposal(
    proposal: PromotionProposal, *, approve: bool, actor=None, note: str = ""
) -> PromotionProposal:
    """The street approves (the worker's grade moves, in the history) or rejects (a reason
    is required). A decided proposal stays decided; a worker whose grade moved since the
    proposal was made is refused (propose again next year)."""
    with transaction.atomic():
        proposal = (
            PromotionProposal.objects.select_for_update(of=("self",))
            .select_related("worker__community", "sequence")
            .get(pk=proposal.pk)
        )
        worker = proposal.worker
        _check_street(actor, worker, "status")
        if proposal.status != ProposalStatus.PROPOSED:
            raise ValidationError({"status": _("This proposal has already been decided.")})
        if not approve and not note.strip():
            raise ValidationError({"note": _("Give the reason for the rejection.")})
        if approve and (worker.grade, worker.sequence_id) != (
            proposal.from_grade,
            proposal.sequence_id,
        ):
            raise ValidationError(
                {"status": _("The worker's grade changed since this proposal was made.")}
            )
        proposal.status = ProposalStatus.APPROVED if approve else ProposalStatus.REJECTED
        proposal.decided_by = actor
        proposal.decided_at = timezone.now()
        proposal.decision_note = note.strip()[:200]
        proposal.save()
        if approve:
            _move(
                _locked(worker),
                proposal.to_grade,
                proposal.sequence,
                date(proposal.year + 1, 1, 1),
                actor,
                _("Promotion approved for %(year)s") % {"year": proposal.year},
            )
    return proposal


def set_pay_table(
    ladder: Ladder,
    effective_from: date,
    rates: Mapping[tuple[int, int], Decimal] | Iterable[tuple[Sequence, int, Decimal]],
    *,
    note: str = "",
    actor=None,
) -> PayTable:
    """A new pay table from `effective_from`: the open table before it is closed the day
    before; one starting on or after that date is refused (the periods never overlap: the
    database's exclusion constraint holds that too). Every grade of every sequence needs a pay."""
    if actor is not None:
        scope = scope_for(actor)
        # The city's table: staff whose scope is the whole city (city staff, superusers).
        if not (scope.has_role(*CATALOGUE_EDITORS) and scope.covers_area(ladder.city)):
            raise ValidationError({"ladder": _("Only city staff keep the pay table.")})
    items = rates.items() if isinstance(rates, Mapping) else (((s.pk, g), p) for s, g, p in rates)
    cells = {key: Decimal(str(pay)) for key, pay in items}
    with transaction.atomic():
        Ladder.objects.select_for_update().filter(pk=ladder.pk).first()
        sequences = {s.pk: s for s in ladder.sequences.all()}
        missing = [
            f"{s.name} {g}"
            for s in sequences.values()
            for g in range(1, min(s.max_grade, ladder.grade_count) + 1)
            if (s.pk, g) not in cells
        ]
        if missing:
            raise ValidationError(
                {"rates": _("No pay for %(cells)s.") % {"cells": "、".join(missing[:5])}}
            )
        stray = [k for k in cells if k[0] not in sequences]
        if stray:
            raise ValidationError({"rates": _("A pay is given for another ladder's sequence.")})
        if any(p < 0 for p in cells.values()):
            raise ValidationError({"rates": _("Pay is not negative.")})
        if PayTable.objects.filter(ladder=ladder, effective_from__gte=effective_from).exists():
            raise ValidationError(
                {"effective_from": _("A pay table already starts on or after that date.")}
            )
        PayTable.objects.filter(ladder=ladder, effective_to__isnull=True).update(
            effective_to=effective_from - timedelta(days=1)
        )
        PayTable.objects.filter(ladder=ladder, effective_to__gte=effective_from).update(
            effective_to=effective_from - timedelta(days=1)
        )
        try:
            with transaction.atomic():
                table = PayTable.objects.create(
                    ladder=ladder, effective_from=effective_from, note=note[:200]
                )
        except IntegrityError as exc:
            raise ValidationError(
                {"effective_from": _("Another pay table of this ladder covers that period.")}
            ) from exc
        PayRate.objects.bulk_create(
            PayRate(table=table, sequence_id=s, grade=g, monthly_pay=p)
            for (s, g), p in sorted(cells.items())
        )
    return table
