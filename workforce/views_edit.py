"""The staff's forms on /workforce/: enter a worker (from the list page), change grade or post
sequence (the street's staff office, with a reason), transfer to another community in scope,
mark as left. Every write goes through workforce.actions, which records the history; out of
scope is a 404; the action's refusals come back as form errors; a success says what happened."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from grids.models.roles import OFFICE_ROLES
from grids.scope import scope_for
from workforce import actions
from workforce.forms import GradeForm, LeaveForm, TransferForm, WorkerForm, add_errors
from workforce.models import Worker
from workforce.privacy import may_decide


def _office_over(request: HttpRequest, pk: int) -> Worker:
    """The worker, when the user's office roles cover the worker's community; else 404."""
    worker = get_object_or_404(
        Worker.objects.visible_to(request.user).select_related(
            "community", "sequence__ladder", "user"
        ),
        pk=pk,
    )
    scope = scope_for(request.user)
    if not (scope.has_role(*OFFICE_ROLES) and scope.covers_area(worker.community)):
        raise Http404
    return worker


def _form_page(request, form, title: str, worker: Worker | None, submit: str) -> HttpResponse:
    status = 400 if form.is_bound else 200
    return render(
        request,
        "workforce/edit.html",
        {"form": form, "title": title, "worker": worker, "submit": submit},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def add_worker(request: HttpRequest) -> HttpResponse:
    """Enter one worker (actions.create_worker)."""
    if not scope_for(request.user).has_role(*OFFICE_ROLES):
        raise Http404
    form = WorkerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            worker = actions.create_worker(
                community=data["community"],
                name=data["name"],
                position=data["position"],
                sequence=data["sequence"],
                grade=data["grade"],
                started_on=data["started_on"],
                phone=data["phone"],
                contract_kind=data["contract_kind"],
                contract_ends_on=data["contract_ends_on"],
                qualification=data["qualification"],
                education=data["education"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s is entered in %(community)s.")
                % {"name": worker.name, "community": worker.community.name},
            )
            return redirect("workforce:worker", pk=worker.pk)
    return _form_page(request, form, _("Enter a worker"), None, _("Enter the worker"))


@login_required
@require_http_methods(["GET", "POST"])
def change_grade(request: HttpRequest, pk: int) -> HttpResponse:
    """Change grade or post sequence (actions.set_grade): the street's staff office, with a
    reason kept in the history."""
    worker = _office_over(request, pk)
    if not may_decide(request.user, worker):
        raise Http404
    form = GradeForm(request.POST or None, worker=worker)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.set_grade(
                worker,
                grade=data["grade"],
                sequence=data["sequence"],
                since=data["since"],
                actor=request.user,
                note=data["note"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s is now %(sequence)s, grade %(grade)s.")
                % {"name": worker.name, "sequence": data["sequence"].name, "grade": data["grade"]},
            )
            return redirect("workforce:worker", pk=worker.pk)
    return _form_page(request, form, _("Change grade or post sequence"), worker, _("Save"))


@login_required
@require_http_methods(["GET", "POST"])
def transfer(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a worker to another community in scope (actions.update_worker)."""
    worker = _office_over(request, pk)
    if worker.left_on is not None:
        messages.error(request, _("This worker has already left."))
        return redirect("workforce:worker", pk=worker.pk)
    form = TransferForm(request.POST or None, worker=worker, user=request.user)
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["community"]
        try:
            actions.update_worker(
                worker, community=target, actor=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s now works in %(community)s.")
                % {"name": worker.name, "community": target.name},
            )
            return redirect("workforce:worker", pk=worker.pk)
    return _form_page(request, form, _("Transfer to another community"), worker, _("Transfer"))


@login_required
@require_http_methods(["GET", "POST"])
def leave(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a worker as left (actions.end_service, which ends their grid memberships)."""
    worker = _office_over(request, pk)
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.end_service(
                worker,
                form.cleaned_data["left_on"],
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s left on %(date)s; their grid memberships ended that day.")
                % {"name": worker.name, "date": form.cleaned_data["left_on"].isoformat()},
            )
            return redirect("workforce:worker", pk=worker.pk)
    return _form_page(request, form, _("Mark as left"), worker, _("Mark as left"))
