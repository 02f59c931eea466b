"""The vote and what follows it: open (the electorate frozen), cast (once per voter, enforced
by a unique index written in the same transaction as the ballot), close (the tally from the
raw ballots), publish (公开), carry out, and evaluate (评)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from deliberation.actions import notices
from deliberation.actions.common import locked, log, refuse, require_resident, require_staff, text
from deliberation.eligibility import electorate
from deliberation.models import (
    Ballot,
    Choice,
    Evaluation,
    Matter,
    Outcome,
    OwnerShare,
    Participation,
    Status,
    VoteUnit,
)
from deliberation.models.choices import reaches
from grids.models import Household


def publish_plan(matter: Matter | int, *, actor, plan: str, now=None) -> Matter:
    """Make the plan public before the vote (方案公开, the first 公开 of 两议两评两公开).
    Where the matter's preset asks for it, the vote can only be opened on the plan published."""
    plan = text(plan, "plan", 4000)
    with transaction.atomic():
        matter = locked(matter)
        require_staff(actor, matter)
        if matter.status != Status.DELIBERATING:
            refuse(_("Only a matter under deliberation can have its plan published."))
        matter.plan = plan
        matter.plan_published_at = now or timezone.now()
        matter.save(update_fields=["plan", "plan_published_at", "updated_at"])
        log(matter, "plan_published", actor)
    return matter


def open_vote(matter: Matter | int, *, actor, closes_at: datetime, plan: str, now=None) -> Matter:
    """Put the plan to the vote until `closes_at`. Who may vote and their floor area are
    counted now and kept with the matter, so the tally can be recomputed at any time."""
    now = now or timezone.now()
    plan = text(plan, "plan", 4000)
    if closes_at is None or closes_at <= now:
        refuse(_("The vote must close in the future."), "closes_at")
    with transaction.atomic():
        matter = locked(matter)
        require_staff(actor, matter)
        if matter.status != Status.DELIBERATING:
            refuse(_("Only a matter under deliberation can be put to the vote."))
        if matter.kind.preset.publish_plan:
            if matter.plan_published_at is None:
                refuse(_("Publish the plan to the residents before the vote."), "plan")
            if plan != matter.plan:
                refuse(
                    _("The plan put to the vote must be the one published; publish it again."),
                    "plan",
                )
        count, area = electorate(matter)
        if count == 0:
            refuse(
                _("Nobody is registered to vote in %(area)s.") % {"area": matter.area.name}
                if not matter.weighted_by_area
                else _("No owners' floor areas are registered in %(area)s.")
                % {"area": matter.area.name}
            )
        matter.plan = plan
        matter.status = Status.VOTING
        matter.vote_opens_at = now
        matter.vote_closes_at = closes_at
        matter.eligible_count = count
        matter.eligible_area = area
        matter.save()
        log(matter, "vote_opened", actor, str(count))
        notices.vote_opened(matter)
    return matter


def _lock_shared(matter_id: int) -> tuple[str, datetime | None] | None:
    """The matter's status and closing time under a FOR SHARE lock: voters do not wait for
    each other, and closing the vote (FOR UPDATE) waits for the votes being cast."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, vote_closes_at FROM deliberation_matter WHERE id = %s FOR SHARE",
            [matter_id],
        )
        return cursor.fetchone()


def cast_vote(matter: Matter | int, *, actor, choice: str, now=None) -> Participation:
    """One vote per eligible voter: per household or per resident as the matter says, weighted
    by the household's registered floor area where it says so. A second vote, a vote from
    outside the area, a vote after the close and a vote from a household registered after the
    vote opened (the electorate is frozen then) are refused with a message; nothing is
    counted twice (the participation's unique index decides, even under concurrency)."""
    now = now or timezone.now()
    if choice not in Choice.values:
        refuse(_("Choose in favour, against or abstain."), "choice")
    matter_id: int = matter.pk if isinstance(matter, Matter) else int(matter)
    with transaction.atomic():
        row = _lock_shared(matter_id)
        if row is None:
            refuse(_("No such matter."), "matter")
        matter = Matter.objects.select_related("area").get(pk=matter_id)
        household = require_resident(actor, matter, "choice")
        status, closes_at = row
        if status != Status.VOTING:
            refuse(
                _("The vote on this matter is closed.")
                if status not in (Status.DELIBERATING, Status.PROPOSED, Status.COSIGNING)
                else _("The vote on this matter has not opened yet."),
                "choice",
            )
        if closes_at is not None and closes_at <= now:
            refuse(
                _("The vote closed at %(time)s.")
                % {"time": formats.date_format(timezone.localtime(closes_at), "Y-m-d H:i")},
                "choice",
            )
        if (
            matter.vote_opens_at is not None
            and Household.objects.filter(pk=household, created_at__gt=matter.vote_opens_at).exists()
        ):
            refuse(
                _(
                    "Your household was registered after the vote opened on %(time)s; who may "
                    "vote was fixed then, so this vote cannot count yours."
                )
                % {
                    "time": formats.date_format(
                        timezone.localtime(matter.vote_opens_at), "Y-m-d H:i"
                    )
                },
                "choice",
            )
        weight = Decimal(0)
        if matter.weighted_by_area:
            share = OwnerShare.objects.filter(household_id=household).first()
            if share is None:
                refuse(
                    _("Only registered owners vote on this matter; ask the community office."),
                    "choice",
                )
            weight = share.floor_area
        key = f"h{household}" if matter.vote_unit == VoteUnit.HOUSEHOLD else f"u{actor.pk}"
        try:
            with transaction.atomic():
                participation = Participation.objects.create(
                    matter=matter, voter_key=key, user=actor, household_id=household
                )
        except IntegrityError:
            refuse(
                _("Your household has already voted on this matter.")
                if matter.vote_unit == VoteUnit.HOUSEHOLD
                else _("You have already voted on this matter."),
                "choice",
            )
        Ballot.objects.create(
            matter=matter,
            choice=choice,
            weight=weight,
            voter=None if matter.secret else actor,
            household_id=None if matter.secret else household,
        )
    return participation


def compute_tally(matter: Matter) -> dict:
    """The tally from the raw ballots and the electorate frozen at the opening: counts (and
    floor areas on weighted matters), whether the quorum is reached and the outcome. Pure:
    the same ballots always give the same dict (decimals as strings)."""
    agg = Ballot.objects.filter(matter=matter).aggregate(
        voters=Count("pk"),
        yes=Count("pk", filter=Q(choice=Choice.YES)),
        no=Count("pk", filter=Q(choice=Choice.NO)),
        abstain=Count("pk", filter=Q(choice=Choice.ABSTAIN)),
        area=Sum("weight"),
        yes_area=Sum("weight", filter=Q(choice=Choice.YES)),
        no_area=Sum("weight", filter=Q(choice=Choice.NO)),
    )
    zero = Decimal("0.00")
    area = agg["area"] or zero
    yes_area = agg["yes_area"] or zero
    quorum = reaches(agg["voters"], matter.eligible_count, matter.quorum)
    passed = reaches(agg["yes"], agg["voters"], matter.majority) and agg["yes"] > 0
    if matter.weighted_by_area:
        quorum = quorum and reaches(area, matter.eligible_area, matter.quorum)
        passed = passed and reaches(yes_area, area, matter.majority)
    outcome = Outcome.NO_QUORUM if not quorum else Outcome.PASSED if passed else Outcome.REJECTED
    return {
        "eligible": matter.eligible_count,
        "eligible_area": str(Decimal(matter.eligible_area).quantize(zero)),
        "voters": agg["voters"],
        "yes": agg["yes"],
        "no": agg["no"],
        "abstain": agg["abstain"],
        "area": str(area.quantize(zero)),
        "yes_area": str(yes_area.quantize(zero)),
        "no_area": str((agg["no_area"] or zero).quantize(zero)),
        "quorum": matter.quorum,
        "majority": matter.majority,
        "weighted": matter.weighted_by_area,
        "quorum_met": quorum,
        "outcome": str(outcome),
    }


def close_vote(matter: Matter | int, *, actor=None, now=None, early: bool = False) -> Matter:
    """Close the vote at or after its closing time (staff may close early only when everyone
    eligible has voted) and record the tally. The lock waits for votes being cast."""
    now = now or timezone.now()
    with transaction.atomic():
        matter = locked(matter)
        if actor is not None:
            require_staff(actor, matter)
        if matter.status != Status.VOTING:
            refuse(_("This matter is not being voted on."))
        if matter.vote_closes_at and matter.vote_closes_at > now:
            everyone = matter.participations.count() >= matter.eligible_count
            if not (early and everyone):
                refuse(
                    _("The vote is open until %(time)s.")
                    % {
                        "time": formats.date_format(
                            timezone.localtime(matter.vote_closes_at), "Y-m-d H:i"
                        )
                    }
                )
        matter.tally = compute_tally(matter)
        matter.outcome = matter.tally["outcome"]
        matter.status = Status.DECIDED
        matter.decided_at = now
        matter.save(update_fields=["tally", "outcome", "status", "decided_at", "updated_at"])
        log(matter, "vote_closed", actor, matter.outcome)
    return matter


def publish_result(matter: Matter | int, *, actor, now=None) -> Matter:
    """Make the result public (公开). A matter passed is then carried out."""
    with transaction.atomic():
        matter = locked(matter)
        require_staff(actor, matter)
        if matter.status != Status.DECIDED or matter.published_at:
            refuse(_("Only a decided matter not yet published can be published."))
        matter.published_at = now or timezone.now()
        if matter.outcome == Outcome.PASSED:
            matter.status = Status.EXECUTING
        matter.save(update_fields=["published_at", "status", "updated_at"])
        log(matter, "published", actor, matter.outcome)
        notices.result_published(matter)
    return matter


def record_progress(matter: Matter | int, *, actor, note: str, done: bool = False) -> Matter:
    """A step in carrying the decision out; `done` marks it carried out (evaluation opens)."""
    note = text(note, "note", 1000)
    with transaction.atomic():
        matter = locked(matter)
        require_staff(actor, matter)
        if matter.status != Status.EXECUTING:
            refuse(_("Only a matter being carried out takes progress."))
        if done:
            matter.status = Status.DONE
            matter.done_at = timezone.now()
            matter.save(update_fields=["status", "done_at", "updated_at"])
        log(matter, "done" if done else "progress", actor, note)
    return matter


def evaluate(matter: Matter | int, *, actor, score: int, remark: str = "") -> Evaluation:
    """A resident of the area evaluates (评) a matter carried out: once each."""
    remark = text(remark, "remark", 300, required=False)
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        refuse(_("Give a score from 1 to 5."), "score")
    with transaction.atomic():
        matter = Matter.objects.select_related("area", "kind__preset").get(
            pk=getattr(matter, "pk", matter)
        )
        require_resident(actor, matter, "score")
        if matter.status != Status.DONE:
            refuse(_("A matter is evaluated once it has been carried out."), "score")
        if not matter.kind.preset.evaluate:
            refuse(_("This matter's flow has no evaluation."), "score")
        try:
            with transaction.atomic():
                return Evaluation.objects.create(
                    matter=matter, user=actor, score=score, remark=remark
                )
        except IntegrityError:
            refuse(_("You have already evaluated this matter."), "score")
