"""Teams and 双报到 posts on the phone: a volunteer asks to join a team of their community (the
leader or the community office approves in the admin), and a party member or unit whose report
to the community this year (亮身份、亮承诺) the community confirmed claims places on its posts
and projects."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.scope import scope_for
from portal.idempotency import idempotent
from volunteers import actions
from volunteers.models import (
    PartyReport,
    PostClaim,
    ReportStatus,
    ServicePost,
    Team,
    TeamMembership,
    Volunteer,
)


def _report(user) -> PartyReport | None:
    """This year's 双报到 report of the user, or of their unit: a confirmed one first (it is
    the one that claims), the member's own before the unit's."""
    units = scope_for(user).unit_ids
    reports = list(
        PartyReport.objects.filter(year=timezone.localdate().year)
        .filter(Q(member=user) | Q(unit_id__in=units))
        .select_related("community")
    )
    reports.sort(key=lambda r: (r.status != ReportStatus.CONFIRMED, r.member_id is None))
    return reports[0] if reports else None


@login_required
def teams(request):
    volunteer = Volunteer.objects.filter(user=request.user).select_related("community").first()
    report = _report(request.user)
    team_rows, posts, claimed = [], [], set()
    if volunteer is not None:
        status = dict(
            TeamMembership.objects.filter(volunteer=volunteer).values_list("team_id", "status")
        )
        team_rows = [
            (team, status.get(team.pk))
            for team in Team.objects.filter(community=volunteer.community).order_by("name")
        ]
    if report is not None and report.status == ReportStatus.CONFIRMED:
        posts = list(ServicePost.objects.filter(community=report.community).order_by("title"))
        claimed = set(PostClaim.objects.filter(report=report).values_list("post_id", flat=True))
    return render(
        request,
        "volunteers/teams.html",
        {
            "volunteer": volunteer,
            "team_rows": team_rows,
            "report": report,
            "posts": posts,
            "claimed": claimed,
        },
    )


@login_required
@require_POST
@idempotent
def join(request, pk: int):
    volunteer = get_object_or_404(Volunteer, user=request.user)
    team = get_object_or_404(Team, pk=pk, community=volunteer.community)
    actions.join_team(volunteer, team)  # asking twice finds the first request
    messages.success(request, _("Your request to join is sent to the team leader."))
    return redirect("volunteers:teams")


@login_required
@require_POST
@idempotent
def claim(request, pk: int):
    report = _report(request.user)
    if report is None:
        messages.error(request, _("Report to your community first (双报到)."))
        return redirect("volunteers:teams")
    post = get_object_or_404(ServicePost, pk=pk, community=report.community)
    try:
        actions.claim_post(post, report)
        messages.success(request, _("You claimed a place on this post."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("volunteers:teams")
