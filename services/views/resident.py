"""Residents' phone pages: file a case (随手拍), follow it, answer the callback.

Browsing needs no login; filing works anonymously with a phone number (rate-limited per phone
and per address) and gives a signed tracking link and a short tracking code (/cases/track/,
with the phone's last 4 digits, rate-limited per code and per address). Every write is a
services.actions call."""

from __future__ import annotations

import hmac

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from grids.models import Area
from grids.scope import get_visible_or_404
from portal import ratelimit
from portal.accounts import VERIFIED_PHONE_KEY
from portal.idempotency import idempotent
from services import actions, confirm, icons
from services.actions import Intake
from services.actions.intake import show_tracking_code
from services.choices import Action, CallbackMethod, Channel, PhotoKind, State
from services.followers import sees_reporter
from services.forms import CallbackForm, CaseForm, TrackForm
from services.models import Case, CaseFollower, CasePhoto
from services.views.common import (
    number_from_ref,
    plain_timeline,
    similar_cases,
    stepper,
    token_from_link,
    tracking_link_token,
)

ANON_PER_PHONE = (5, 3600)  # five cases an hour per phone number
ANON_PER_IP = (20, 3600)
# Tracking-code lookups: a resident mistyping a few times gets through; guessing codes does
# not (ten tries an hour on one code, thirty from one network).
TRACK_PER_CODE = (10, 3600)
TRACK_PER_IP = (30, 3600)


def home(request):
    return render(request, "services/home.html")


def _rate_limited(request, form: CaseForm) -> bool:
    if request.user.is_authenticated:
        return False
    phone = form.cleaned_data.get("reporter_phone", "")
    if not ratelimit.hit(f"file-phone:{phone}", *ANON_PER_PHONE):
        form.add_error(
            "reporter_phone", _("Too many cases from this phone number. Try again later.")
        )
        return True
    if not ratelimit.hit(f"file-ip:{ratelimit.client_ip(request)}", *ANON_PER_IP):
        form.add_error(None, _("Too many cases from this network. Try again later."))
        return True
    return False


@require_http_methods(["GET", "POST"])
@idempotent
def file_case(request):
    """随手拍: the case lands whole with its photos or not at all; a bad photo is a form error."""
    user = request.user if request.user.is_authenticated else None
    form = CaseForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid() and not _rate_limited(request, form):
        d = form.cleaned_data
        intake = Intake(
            case_type=d["case_type"],
            category=d["category"],
            description=d["description"],
            place=d["place"],
            channel=Channel.RESIDENT_WEB,
            lat=d.get("lat"),
            lng=d.get("lng"),
            address=d.get("address", ""),
            reporter_name=d.get("reporter_name", "") or (user.display_name if user else ""),
            reporter_phone=d.get("reporter_phone", "") or (user.phone or "" if user else ""),
            photos=d.get("photos") or [],
        )
        try:
            case = actions.submit_case(intake, actor=user)
        except ValidationError as exc:
            form.add_action_errors(exc)
        else:
            messages.success(request, confirm.filed(case, anonymous=user is None))
            if user is not None:
                return redirect("services:case", number=case.number)
            return redirect("services:track", token=tracking_link_token(case))
    status = 400 if request.method == "POST" else 200
    shown, more = form.category_tiles()
    return render(
        request,
        "services/file.html",
        {
            "form": form,
            "tiles": shown,
            "more_tiles": more,
            "more_open": any(t["checked"] for t in more),
            "place_label": form.place_label(),
            "camera": icons.svg("camera"),
        },
        status=status,
    )


def verified_phone(request) -> str:
    """The phone number this login has proven by a code (portal.accounts), else ""."""
    phone = request.session.get(VERIFIED_PHONE_KEY, "")
    return phone if phone and phone == request.user.phone else ""


def _mine_q(user, phone: str = "") -> Q:
    q = Q(reporter=user) | Q(pk__in=CaseFollower.objects.filter(user=user).values("case_id"))
    if phone:
        # Filed for this number after the login claimed the earlier ones (an anonymous report,
        # say); not what the user keyed in for others themselves.
        q |= Q(reporter__isnull=True, reporter_phone=phone) & ~Q(received_by=user)
    return q


@login_required(login_url="services:login")
def mine(request):
    """My cases: the ones I reported or follow, and those filed for my phone number once a
    code proved it is mine; newest first (a fixed number of queries)."""
    qs = (
        Case.objects.filter(_mine_q(request.user, verified_phone(request)))
        .select_related("category", "place", "handling_area", "handling_department")
        .order_by("-created_at")
    )
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    for case in page:
        # A case not yet claimed opens through its tracking link (the case page is the
        # reporter's); the next code login claims it.
        case.url = (
            reverse("services:track", kwargs={"token": tracking_link_token(case)})
            if case.reporter_id is None
            else reverse("services:case", kwargs={"number": case.number})
        )
    return render(request, "services/mine.html", {"page": page})


def _case_page(
    request,
    case: Case,
    *,
    can_answer: bool,
    callback_url: str | None = None,
    form: CallbackForm | None = None,
    whole: bool = True,
    tracking: bool = False,
):
    """The resident's case page. Not `whole` for a follower: the progress only, nothing the
    reporter wrote or that names them (services.followers)."""
    events = list(case.events.order_by("at", "id"))
    photos = list(CasePhoto.objects.filter(case=case).order_by("id")) if whole else []
    if form is None and can_answer:
        form = CallbackForm(request.POST or None)
    # The latest result only: a reopened case (重办) shows no result until it is resolved
    # again, and then only the photos of that round; the earlier 办结 stays on the timeline
    # without the text it was closed with.
    reopened = [
        e.at for e in events if e.action == Action.CALLBACK and (e.payload or {}).get("redo")
    ]
    since = reopened[-1] if reopened else None
    timeline = plain_timeline(case, events)
    for step in timeline:
        superseded = since is not None and step["action"] == Action.RESOLVE and step["at"] < since
        if not whole or superseded:
            step["note"] = ""
    show_result = case.resolved_at is not None
    result_photos = [
        p
        for p in photos
        if p.kind == PhotoKind.RESULT and show_result and (since is None or p.created_at > since)
    ]
    return render(
        request,
        "services/case.html",
        {
            "case": case,
            "whole": whole,
            "timeline": timeline,
            "intake_photos": [p for p in photos if p.kind == PhotoKind.INTAKE],
            "result_photos": result_photos,
            "show_result": show_result and bool(case.result),
            "steps": stepper(case),
            "tracking_code": show_tracking_code(case.tracking_code) if tracking else "",
            "callback_form": form,
            "can_answer": can_answer and case.state == State.RESOLVED,
            "callback_url": callback_url
            or reverse("services:callback", kwargs={"number": case.number}),
        },
        status=400 if form is not None and form.errors else 200,
    )


def _is_reporter(user, case: Case) -> bool:
    return user.is_authenticated and (
        case.reporter_id == user.pk or CaseFollower.objects.filter(case=case, user=user).exists()
    )


@login_required(login_url="services:login")
def case_page(request, number: str):
    case = get_visible_or_404(
        Case.objects.select_related("category", "place", "handling_area", "handling_department"),
        request.user,
        number=number,
    )
    return _case_page(
        request,
        case,
        can_answer=_is_reporter(request.user, case),
        whole=sees_reporter(request.user, case),
    )


def track(request, token: str):
    """The anonymous tracking link: read-only; a damaged link says so (400), an unknown one 404."""
    secret = token_from_link(token)
    if secret is None:
        return render(request, "services/bad_link.html", status=400)
    case = get_object_or_404(
        Case.objects.select_related("category", "place", "handling_area", "handling_department"),
        tracking_token=secret,
    )
    return _case_page(
        request,
        case,
        can_answer=True,
        callback_url=reverse("services:track-callback", kwargs={"token": token}),
        tracking=True,
    )


def _track_limited(request, code: str) -> bool:
    """Count one lookup; True once this code or this network has had too many."""
    ip = ratelimit.client_ip(request)
    by_ip = ratelimit.hit(f"track-ip:{ip}", *TRACK_PER_IP)
    by_code = ratelimit.hit(f"track-code:{code}", *TRACK_PER_CODE)
    return not (by_ip and by_code)


@require_http_methods(["GET", "POST"])
def track_lookup(request):
    """查询工单: the short tracking code and the phone's last 4 digits open the case's
    tracking page. A wrong pair is one clear message (never which half was wrong); too many
    tries from one network, or on one code, wait an hour (429)."""
    form = TrackForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            code, tail = form.cleaned_data["code"], form.cleaned_data["phone_tail"]
            if _track_limited(request, code):
                form.add_error(
                    None,
                    _(
                        "Too many tries. For your safety, try again in an hour, or call the hotline."
                    ),
                )
                status = 429
            else:
                case = (
                    Case.objects.filter(tracking_code=code)
                    .only("pk", "tracking_token", "reporter_phone")
                    .first()
                )
                phone = case.reporter_phone if case is not None else ""
                if case is not None and len(phone) >= 4 and hmac.compare_digest(phone[-4:], tail):
                    return redirect("services:track", token=tracking_link_token(case))
                form.add_error(
                    None,
                    _(
                        "No case matches this tracking code and phone number. Check the code in "
                        "the text message (letters and digits, no O, I, 0 or 1)."
                    ),
                )
    return render(request, "services/track.html", {"form": form}, status=status)


def _answer_callback(request, case: Case, *, done_url: str, callback_url: str, token=None):
    """The callback form posted from the case page or the tracking link: the answer goes
    through actions.callback (which decides who may answer); a refusal or a form error shows
    the page again."""
    form = CallbackForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            record = actions.callback(
                case,
                actor=request.user if request.user.is_authenticated else None,
                solved=d["solved"],
                rating=d["rating"],
                comment=d["comment"],
                method=CallbackMethod.RESIDENT,
                tracking_token=token,
            )
        except ValidationError as exc:
            # A refusal is a form error (400), so an idempotency key is not spent on it.
            for message in exc.messages:
                form.add_error(None, message)
        else:
            if record.led_to_redo:
                messages.success(
                    request,
                    _(
                        "Thank you. Case %(number)s is reopened and will be handled again; "
                        "the handler will contact you."
                    )
                    % {"number": case.number},
                )
            else:
                messages.success(
                    request,
                    _("Thank you. Your answer on case %(number)s is recorded.")
                    % {"number": case.number},
                )
            return redirect(done_url)
    case.refresh_from_db()
    whole = token is not None or sees_reporter(request.user, case)
    return _case_page(
        request, case, can_answer=True, callback_url=callback_url, form=form, whole=whole
    )


@require_POST
@idempotent
def track_callback(request, token: str):
    """回访 through the tracking link, for a resident who filed without an account."""
    secret = token_from_link(token)
    if secret is None:
        return render(request, "services/bad_link.html", status=400)
    case = get_object_or_404(Case.objects.all(), tracking_token=secret)
    return _answer_callback(
        request,
        case,
        done_url=reverse("services:track", kwargs={"token": token}),
        callback_url=reverse("services:track-callback", kwargs={"token": token}),
        token=secret,
    )


@require_POST
@login_required(login_url="services:login")
@idempotent
def answer_callback(request, number: str):
    """回访 by the resident: solved? and a rating. Not solved or dissatisfied reopens it (重办)."""
    case = get_visible_or_404(Case.objects.all(), request.user, number=number)
    if not _is_reporter(request.user, case):
        return _case_page(request, case, can_answer=False, whole=sees_reporter(request.user, case))
    return _answer_callback(
        request,
        case,
        done_url=reverse("services:case", kwargs={"number": case.number}),
        callback_url=reverse("services:callback", kwargs={"number": case.number}),
    )


@require_POST
@login_required(login_url="services:login")
@idempotent
def follow(request, number: str):
    """Follow an open case instead of filing the same problem again. `number` is the signed
    reference the similar-cases hint handed out (services.views.common.follow_ref)."""
    # Only a case offered as similar to what the resident was filing (same category, same
    # grid, a shareable type) may be followed: case numbers are guessable.
    number = number_from_ref(number) or ""
    try:
        category_id = int(request.POST.get("category", ""))
        place = Area.objects.get(pk=int(request.POST.get("place", "")))
    except (ValueError, Area.DoesNotExist):
        raise Http404 from None
    case = next((c for c in similar_cases(category_id, place) if c.number == number), None)
    if case is None:
        raise Http404
    try:
        actions.follow(case, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("services:file")
    messages.success(request, _("You now follow case %(number)s.") % {"number": case.number})
    return redirect(reverse("services:case", kwargs={"number": case.number}))
