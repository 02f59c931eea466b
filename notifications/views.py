"""/inbox/: a user's notifications (newest first, unread marked, the unread filter, pages),
opening one (marks it read and goes to what it is about), marking all read, and the
preferences page. Only one's own: anyone else's notification is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from notifications import actions
from notifications.forms import PreferenceForm
from notifications.models import Notification
from notifications.notify import preference_of

PER_PAGE = 20


def _page(request) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 10_000))
    except (TypeError, ValueError):
        return 1


@login_required
def inbox(request):
    """One page of the user's notifications: one query (a row past the page says whether
    there is a next one; no count of everything)."""
    unread_only = request.GET.get("unread") == "1"
    page = _page(request)
    qs = Notification.objects.filter(recipient=request.user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    start = (page - 1) * PER_PAGE
    rows = list(qs.order_by("-created_at", "-id")[start : start + PER_PAGE + 1])
    return render(
        request,
        "notifications/inbox.html",
        {
            "notifications": rows[:PER_PAGE],
            "unread_only": unread_only,
            "page": page,
            "has_next": len(rows) > PER_PAGE,
            "has_previous": page > 1,
        },
    )


@login_required
def open_notification(request, pk: int):
    """Mark it read and go to what it is about (the inbox when it is about nothing)."""
    try:
        notification = actions.mark_read(request.user, pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return redirect(link)
    return redirect("notifications:inbox")


@login_required
@require_POST
def read_all(request):
    count = actions.mark_all_read(request.user)
    if count:
        messages.success(request, _("Marked as read: %(count)d.") % {"count": count})
    else:
        messages.info(request, _("Nothing was unread."))
    return redirect("notifications:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    preference = preference_of(request.user)
    form = PreferenceForm(request.POST or None, preference=preference)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.save_preferences(
                request.user,
                channels=form.channels(),
                quiet_hours=d["quiet_hours"],
                quiet_start=d.get("quiet_start"),
                quiet_end=d.get("quiet_end"),
            )
        except ValidationError as exc:
            form.add_action_errors(exc)
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notifications:settings")
    status = 400 if request.method == "POST" else 200
    return render(request, "notifications/settings.html", {"form": form}, status=status)
