"""The public site (phone first): the centre finder, the centre page, activities and
sign-up, space booking, affairs appointments, "my centre things", calendar files and QR
images; and the staff scan-to-check-in page. Writes go through centres.actions."""

from __future__ import annotations

import io
import math
from datetime import datetime, time, timedelta

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from centres import actions, ics
from centres.forms import AppointmentForm, BookingForm, CheckInForm, FinderForm
from centres.models import (
    Activity,
    AffairItem,
    Appointment,
    Booking,
    Centre,
    Closure,
    Service,
    SignUp,
    SignUpStatus,
    Space,
)
from grids.models import Area
from grids.scope import scope_for

METRES_PER_DEGREE = 111_320


def _day_range(day) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def _form_errors(form, exc: ValidationError) -> None:
    """Put an action's errors on the form's fields (unknown fields go on top)."""
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


# --- finder --------------------------------------------------------------------------------------


def finder(request):
    """Centres by name, community, function, or nearest to the phone's location."""
    form = FinderForm(request.GET or None)
    centres = Centre.objects.filter(is_active=True).select_related("community")
    lat = lng = None
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            centres = centres.filter(Q(name__icontains=data["q"]) | Q(address__icontains=data["q"]))
        if data["community"]:
            centres = centres.filter(
                Q(community_id=data["community"]) | Q(served_areas=data["community"])
            ).distinct()
        if data["function"]:
            centres = centres.filter(
                pk__in=Service.objects.filter(
                    function__code=data["function"], is_active=True
                ).values("centre_id")
            )
        lat, lng = data["lat"], data["lng"]
    if lat is not None and lng is not None:
        # Equirectangular distance: exact enough within a city, and plain SQL on any database.
        scale = math.cos(math.radians(lat))
        centres = (
            centres.filter(lat__isnull=False, lng__isnull=False)
            .annotate(
                d2=(F("lat") - lat) * (F("lat") - lat)
                + (F("lng") - lng) * (F("lng") - lng) * scale * scale
            )
            .order_by("d2")
        )
    else:
        centres = centres.order_by("community__path", "name")
    page = Paginator(centres, 20).get_page(request.GET.get("page"))
    for centre in page:
        if hasattr(centre, "d2"):
            centre.distance_m = round(math.sqrt(centre.d2) * METRES_PER_DEGREE)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "centres/finder.html",
        {
            "form": form,
            "page": page,
            "near": lat is not None,
            "query": query.urlencode(),
            "community_options": _community_options(
                form.cleaned_data.get("community") if form.is_valid() else None
            ),
        },
    )


def _community_options(chosen: int | None) -> str:
    """The <option>s of communities with a centre, built in Python: a template loop over a
    city's few hundred communities costs more than the rest of the page."""
    rows = (
        Area.objects.filter(kind="community", centres__is_active=True)
        .order_by("path")
        .values_list("pk", "name")
        .distinct()
    )
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((pk, mark_safe(" selected") if pk == chosen else "", name) for pk, name in rows),
    )


# --- centre page -----------------------------------------------------------------------------


def centre_page(request, pk: int):
    """Functions, services, today's activities, open now, how to get there.

    What changes by the minute (open now, today's activities and places left) is read on
    every request: three queries. The rest (functions, services, hours, rooms, directions)
    is rendered once and cached under the centre's `updated_at`, which centres.signals moves
    whenever any of it changes; a cold cache costs six more queries."""
    today = timezone.localdate()
    start, end = _day_range(today)
    centre = get_object_or_404(
        Centre.objects.filter(is_active=True)
        .select_related("party_org")
        .prefetch_related(
            Prefetch("closures", queryset=Closure.objects.filter(date=today)),
            Prefetch(
                "activities",
                queryset=Activity.objects.filter(
                    starts_at__gte=start, starts_at__lt=end, is_published=True
                ).select_related("space"),
                to_attr="today_activities",
            ),
        ),
        pk=pk,
    )
    static = _centre_static(centre, get_language())
    closed_today = bool(centre.closures.all())
    clock = timezone.localtime()
    open_now = not closed_today and any(
        weekday == clock.weekday() and opens <= clock.time() < closes
        for weekday, opens, closes in static["hours"]
    )
    return render(
        request,
        "centres/centre.html",
        {"centre": centre, "open_now": open_now, "static_html": mark_safe(static["html"])},
    )


def _centre_static(centre: Centre, language: str) -> dict:
    key = f"centres:page:{centre.pk}:{centre.updated_at.timestamp()}:{language}"
    data = cache.get(key)
    if data is not None:
        return data
    centre = Centre.objects.prefetch_related(
        "functions",
        "hours",
        Prefetch(
            "services",
            queryset=Service.objects.filter(is_active=True).select_related("operator"),
        ),
        "photos",
        Prefetch("spaces", queryset=Space.objects.filter(bookable=True, is_active=True)),
    ).get(pk=centre.pk)
    by_function: dict[int, list] = {f.pk: [] for f in centre.functions.all()}
    for service in centre.services.all():
        by_function.setdefault(service.function_id, []).append(service)
    hours: dict = {}
    for h in centre.hours.all():
        hours.setdefault(h.get_weekday_display(), []).append(h)
    html = render_to_string(
        "centres/_centre_static.html",
        {
            "centre": centre,
            "functions": [(f, by_function.get(f.pk, [])) for f in centre.functions.all()],
            "hours": hours,
        },
    )
    data = {"html": html, "hours": [(h.weekday, h.opens, h.closes) for h in centre.hours.all()]}
    cache.set(key, data, 24 * 3600)
    return data


def centre_activities(request, pk: int):
    """The coming activities of one centre, a page at a time."""
    centre = get_object_or_404(Centre.objects.filter(is_active=True), pk=pk)
    qs = (
        centre.activities.filter(is_published=True, ends_at__gte=timezone.now(), is_cancelled=False)
        .select_related("function", "space")
        .order_by("starts_at")
    )
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(request, "centres/activities.html", {"centre": centre, "page": page})


def calendar_feed(request, pk: int):
    """An iCalendar feed of a centre's activities from a week ago to 60 days ahead."""
    centre = get_object_or_404(Centre.objects.filter(is_active=True), pk=pk)
    now = timezone.now()
    activities = centre.activities.filter(
        is_published=True,
        starts_at__gte=now - timedelta(days=7),
        starts_at__lt=now + timedelta(days=60),
    ).select_related("space")
    body = ics.calendar([ics.event_for(a, centre, request) for a in activities], name=centre.name)
    return _ics_response(body, f"centre-{centre.pk}.ics")


def _ics_response(body: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- activities ------------------------------------------------------------------------------


def activity_page(request, pk: int):
    activity = get_object_or_404(
        Activity.objects.filter(is_published=True).select_related(
            "centre__community", "function", "space"
        ),
        pk=pk,
    )
    mine = None
    if request.user.is_authenticated:
        mine = (
            activity.signups.filter(
                user=request.user, status__in=[SignUpStatus.CONFIRMED, SignUpStatus.WAITLISTED]
            )
            .order_by("-pk")
            .first()
        )
    return render(
        request,
        "centres/activity.html",
        {"activity": activity, "mine": mine, "open": activity.signup_open_at()},
    )


@login_required
@require_POST
def activity_sign_up(request, pk: int):
    activity = get_object_or_404(Activity.objects.filter(is_published=True), pk=pk)
    try:
        signup = actions.sign_up(activity, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("centres:activity", pk=pk)
    if signup.status == SignUpStatus.CONFIRMED:
        messages.success(request, _("You are signed up. Show your code at the door."))
    else:
        messages.warning(
            request, _("The places are taken: you are on the waitlist and we will tell you.")
        )
    return redirect("centres:mine")


def activity_ics(request, pk: int):
    activity = get_object_or_404(
        Activity.objects.filter(is_published=True).select_related("centre", "space"), pk=pk
    )
    body = ics.calendar([ics.event_for(activity, activity.centre, request)], name=activity.title)
    return _ics_response(body, f"activity-{activity.pk}.ics")


# --- mine ------------------------------------------------------------------------------------


@login_required
def mine(request):
    """My sign-ups, bookings and appointments (notices are in /inbox/, for everyone)."""
    now = timezone.now()
    signups = (
        SignUp.objects.filter(user=request.user, activity__ends_at__gte=now - timedelta(days=30))
        .exclude(status=SignUpStatus.CANCELLED)
        .select_related("activity__centre")
        .order_by("activity__starts_at")
    )
    bookings = (
        Booking.objects.filter(booked_by=request.user, ends_at__gte=now - timedelta(days=30))
        .select_related("space__centre")
        .order_by("starts_at")
    )
    appointments = (
        Appointment.objects.filter(user=request.user, slot__ends_at__gte=now - timedelta(days=30))
        .select_related("slot__centre", "item")
        .order_by("slot__starts_at")
    )
    return render(
        request,
        "centres/mine.html",
        {
            "signups": signups,
            "bookings": bookings,
            "appointments": appointments,
            "now": now,
        },
    )


@login_required
@require_POST
def cancel_signup(request, pk: int):
    signup = get_object_or_404(SignUp, pk=pk, user=request.user)
    try:
        actions.cancel_signup(signup, actor=request.user)
        messages.success(request, _("Your sign-up is cancelled."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("centres:mine")


@login_required
@require_POST
def cancel_booking(request, pk: int):
    booking = get_object_or_404(Booking, pk=pk, booked_by=request.user)
    try:
        actions.cancel_booking(booking, actor=request.user)
        messages.success(request, _("Your booking is cancelled."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("centres:mine")


@login_required
@require_POST
def cancel_appointment(request, pk: int):
    appointment = get_object_or_404(Appointment, pk=pk, user=request.user)
    try:
        actions.cancel_appointment(appointment, actor=request.user)
        messages.success(request, _("Your appointment is cancelled."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("centres:mine")


@login_required
def qr_image(request, code: str):
    """The QR of one of my codes (an SVG: sharp on any screen, no image library at runtime).
    Someone else's code is a 404: the code is what lets you in."""
    code = code.upper()
    owned = (
        SignUp.objects.filter(code=code, user=request.user).exists()
        or Booking.objects.filter(code=code, booked_by=request.user).exists()
        or Appointment.objects.filter(code=code, user=request.user).exists()
    )
    if not owned:
        raise Http404
    image = qrcode.make(code, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=2)
    buf = io.BytesIO()
    image.save(buf)
    response = HttpResponse(buf.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=86400"
    return response


# --- spaces and affairs ----------------------------------------------------------------------


@login_required
def book_space(request, pk: int):
    space = get_object_or_404(
        Space.objects.filter(bookable=True, is_active=True, centre__is_active=True).select_related(
            "centre"
        ),
        pk=pk,
    )
    form = BookingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            common = {
                "actor": request.user,
                "starts_at": data["starts_at"],
                "ends_at": data["ends_at"],
                "purpose": data["purpose"],
                "attendees": data["attendees"],
            }
            if data["weeks"] > 1:
                actions.book_recurring(space, weeks=data["weeks"], **common)
            else:
                actions.book_space(space, **common)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Booked. Staff will confirm it.")
                if space.needs_approval
                else _("Booked. Show your code when you arrive."),
            )
            return redirect("centres:mine")
    upcoming = space.bookings.filter(
        starts_at__gte=timezone.now(), status__in=["pending", "confirmed"]
    ).order_by("starts_at")[:20]
    return render(
        request,
        "centres/book_space.html",
        {"space": space, "form": form, "upcoming": upcoming},
        status=400 if form.errors else 200,
    )


def affairs(request, pk: int):
    """事有所办: the catalogue and the next week's appointment slots at one centre."""
    centre = get_object_or_404(Centre.objects.filter(is_active=True), pk=pk)
    slots = centre.appointment_slots.filter(
        starts_at__gte=timezone.now(), starts_at__lt=timezone.now() + timedelta(days=14)
    ).annotate(free=F("capacity") - F("booked_count"))
    items = AffairItem.objects.offered_at(centre)
    form = AppointmentForm(request.POST or None)
    form.fields["item"].queryset = items  # type: ignore[attr-defined]  # a ModelChoiceField
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?next={request.path}")
        if form.is_valid():
            slot = get_object_or_404(slots, pk=form.cleaned_data["slot"])
            try:
                actions.book_appointment(
                    slot,
                    actor=request.user,
                    item=form.cleaned_data["item"],
                    channel=form.cleaned_data["channel"],
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Your appointment is booked."))
                return redirect("centres:mine")
    return render(
        request,
        "centres/affairs.html",
        {"centre": centre, "slots": slots, "items": items, "form": form},
        status=400 if form.errors else 200,
    )


# --- staff: scan to check in -----------------------------------------------------------------


def check_in(request):
    """Staff scan a resident's QR (phone camera, where the browser can read QR codes) or
    type the code. Each code checks in once."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    if not scope_for(request.user).is_staff:
        raise Http404
    form = CheckInForm(request.POST or None)
    done = None
    if request.method == "POST" and form.is_valid():
        try:
            done = actions.check_in(form.cleaned_data["code"], actor=request.user)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            form = CheckInForm()
    return render(
        request,
        "centres/check_in.html",
        {"form": form, "done": done, "is_signup": isinstance(done, SignUp)},
        status=400 if form.errors else 200,
    )
