"""双报到: party members and co-building units report to their home community (亮身份、亮承诺),
the community confirms the report, and a confirmed report claims places on the community's
posts and projects and sets the member's yearly target."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import CoBuildingUnit
from grids.scope import may_act_on, scope_for
from volunteers.actions._base import _refuse, home_community, record_review, settled_hours
from volunteers.models import PartyReport, PostClaim, ReportStatus, ServicePost, Volunteer

DEFAULT_TARGET = Decimal("50.00")
MAX_PROMISE = 1000


@dataclass
class ReportIntake:
    """What a member (or a unit) shows and promises: 亮身份 (work unit, party branch) and
    亮承诺 (the promise, the hours they aim to serve this year)."""

    promise: str
    work_unit: str = ""
    party_branch: str = ""
    target_hours: Decimal | None = None


def _target(value: Decimal | None) -> Decimal:
    if value is None:
        return DEFAULT_TARGET
    try:
        target = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        _refuse(_("Enter the yearly target as a number of hours."), "target_hours")
    if not (Decimal(1) <= target <= Decimal(1000)):
        _refuse(_("The yearly target must be between 1 and 1000 hours."), "target_hours")
    return target


@transaction.atomic
def submit_report(
    user, intake: ReportIntake, *, unit: CoBuildingUnit | None = None, year: int | None = None
) -> PartyReport:
    """A party member reports to the community they live in, or a member of a co-building
    unit reports for the unit to the unit's community. The report waits for the community to
    confirm it. Sending it again before that (a double tap, or a correction after a refusal)
    updates the one report of the year; a confirmed report is not changed."""
    year = year or timezone.localdate().year
    promise = (intake.promise or "").strip()
    if not promise:
        _refuse(_("Say what you promise to do (亮承诺)."), "promise")
    if len(promise) > MAX_PROMISE:
        _refuse(_("Keep the promise under 1000 characters."), "promise")
    target = _target(intake.target_hours)
    if unit is None:
        community = home_community(user)
        if community is None:
            _refuse(_("Register your household with your community first."))
        lookup: dict = {"member": user, "year": year}
    else:
        if unit.pk not in scope_for(user).unit_ids:
            _refuse(_("You may report only for your own unit."), "unit")
        community = unit.home_community
        lookup = {"unit": unit, "year": year}
    fields = {
        "community": community,
        "promise": promise,
        "work_unit": (intake.work_unit or "").strip()[:100],
        "party_branch": (intake.party_branch or "").strip()[:100],
        "target_hours": target,
        "submitted_by": user,
        "status": ReportStatus.PENDING,
        "decided_by": None,
        "decided_at": None,
        "refusal_reason": "",
    }
    report = PartyReport.objects.select_for_update().filter(**lookup).first()
    if report is None:
        try:
            with transaction.atomic():
                return PartyReport.objects.create(**lookup, **fields)
        except IntegrityError:
            # A twin submission committed first (the unique year constraint): update that one.
            report = PartyReport.objects.select_for_update().get(**lookup)
    if report.status == ReportStatus.CONFIRMED:
        _refuse(_("Your report for this year is already confirmed by the community."))
    for name, value in fields.items():
        setattr(report, name, value)
    report.save()
    return report


@transaction.atomic
def decide_report(report: PartyReport, actor, confirm: bool, reason: str = "") -> PartyReport:
    """The community confirms a report (the member's or unit's identity and promise are on
    record, and its posts may be claimed) or refuses it with a reason the member sees. A
    confirmed member who volunteers is marked a party member, so their service earns
    党员积分. Deciding the same way twice is a no-op; changing a decision is refused."""
    report = PartyReport.objects.select_for_update().get(pk=report.pk)
    if not may_act_on(actor, report.community):
        _refuse(_("Only the community's staff may confirm a report."))
    if not record_review(
        report,
        actor,
        accept=confirm,
        accepted=ReportStatus.CONFIRMED,
        refused=ReportStatus.REFUSED,
        pending=ReportStatus.PENDING,
        reason=reason,
        by="decided_by",
        at="decided_at",
        already=_("This report was already decided."),
        say_why=_("Say why the report is not confirmed."),
    ):
        return report
    if confirm and report.member_id:
        Volunteer.objects.filter(user_id=report.member_id, is_party_member=False).update(
            is_party_member=True
        )
    return report


@transaction.atomic
def claim_post(post: ServicePost, report: PartyReport) -> PostClaim:
    """Claim a place on a post or project with a confirmed report. The quota is held by a
    conditional UPDATE (and a CHECK), so the last place goes to exactly one claimant."""
    if report.status != ReportStatus.CONFIRMED:
        _refuse(_("The community has not confirmed your report yet."), "post")
    if post.community_id != report.community_id:
        _refuse(_("This post belongs to another community."), "post")
    if PostClaim.objects.filter(post=post, report=report).exists():
        _refuse(_("You have already claimed this post."), "post")
    taken = ServicePost.objects.filter(pk=post.pk, claimed_count__lt=F("quota")).update(
        claimed_count=F("claimed_count") + 1
    )
    if not taken:
        _refuse(_("All places on this post are taken."), "post")
    return PostClaim.objects.create(post=post, report=report)


@transaction.atomic
def withdraw_claim(claim: PostClaim, actor) -> None:
    """The community's staff withdraw a claim: the place goes back to the post's quota in the
    same transaction (the post row is locked, so the count never drifts from the claims)."""
    post = ServicePost.objects.select_for_update().get(pk=claim.post_id)
    if not may_act_on(actor, post.community):
        _refuse(_("Only the community's staff may withdraw a claim."))
    if not PostClaim.objects.filter(pk=claim.pk).delete()[0]:
        return  # already withdrawn: nothing more to give back
    ServicePost.objects.filter(pk=post.pk).update(claimed_count=F("claimed_count") - 1)


def yearly_target(user, year: int) -> tuple[Decimal, PartyReport | None]:
    """The member's target hours for `year`: their confirmed report's, else the default."""
    report = PartyReport.objects.filter(member=user, year=year).first()
    if report is not None and report.status == ReportStatus.CONFIRMED:
        return report.target_hours, report
    return DEFAULT_TARGET, report


def party_year(user, year: int) -> dict:
    """A party member's year for the annual review: hours against the target."""
    target, _report = yearly_target(user, year)
    hours = settled_hours(user, year)
    return {"year": year, "hours": hours, "target": target, "met": hours >= target}
