"""The time bank's public phone pages: my profile, open orders, an order (QR codes, check-in
and out, rating), my 福分, rewards and my certificate (the wish wall is in wish_views, 双报到
and the 爱心存折 passbook in party_views, the community's review desk in staff_views). Every
write is an actions call; a refused step is shown as a message, never a 500."""

from __future__ import annotations

import io
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from grids.privacy import mask_phone
from grids.scope import may_act_on, scope_for
from portal.idempotency import idempotent
from volunteers import actions, ledger
from volunteers.forms import OrderForm, RatingForm, RegisterForm
from volunteers.models import (
    AccountKind,
    Certificate,
    LedgerEntry,
    OrderStatus,
    PointType,
    Reward,
    ServiceOrder,
    Volunteer,
    Voucher,
    from_cents,
)


def _error(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _points_summary(user):
    """Balance and the last 20 movements: two indexed queries (account + balance row in one,
    the entries with their transactions in the other)."""
    account = (
        ledger.Account.objects.filter(
            owner=user, kind=AccountKind.MEMBER, point_type__code=PointType.FUFEN
        )
        .select_related("balance_row")
        .first()
    )
    if account is None:
        return None, []
    entries = (
        LedgerEntry.objects.filter(account=account).select_related("transaction").order_by("-id")
    )[:20]
    return from_cents(account.balance_row.balance), [
        (e.transaction, from_cents(e.amount)) for e in entries
    ]


@login_required
def home(request):
    volunteer = Volunteer.objects.filter(user=request.user).select_related("community").first()
    context = {"volunteer": volunteer}
    if volunteer:
        hours = actions.settled_hours(request.user)
        context.update(
            hours=hours,
            stars=actions.stars(volunteer, hours),
            masked_phone=mask_phone(volunteer.phone),
            certificate=Certificate.objects.filter(volunteer=volunteer).order_by("-id").first(),
        )
    context["balance"], _entries = _points_summary(request.user)
    scope = scope_for(request.user)
    context["reviewer"] = scope.is_staff and scope.is_territorial
    return render(request, "volunteers/home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def register(request):
    if Volunteer.objects.filter(user=request.user).exists():
        return redirect("volunteers:home")
    community = actions.community_of(request.user)
    form = RegisterForm(request.POST or None)
    if community is None:
        messages.error(request, _("Register your household with your community first."))
    elif request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.register_volunteer(
                request.user,
                actions.Registration(
                    community=community,
                    real_name=d["real_name"],
                    phone=d["phone"],
                    id_number=d["id_number"].upper(),
                    availability=d["availability"],
                    is_party_member=d["is_party_member"],
                    consent=d["consent"],
                    skills=tuple(d["skills"]),
                ),
            )
        except ValidationError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Welcome, volunteer!"))
            return redirect("volunteers:home")
    return render(request, "volunteers/register.html", {"form": form})


@login_required
def open_orders(request):
    """Open orders in my community, soonest first; with ?lat=&lng= the nearest first."""
    volunteer = Volunteer.objects.filter(user=request.user).first()
    community = volunteer.community if volunteer else actions.community_of(request.user)
    qs = ServiceOrder.objects.filter(status=OrderStatus.OPEN, community=community).select_related(
        "category"
    )
    orders = list(qs.order_by("scheduled_at")[:50])
    try:
        lat, lng = float(request.GET["lat"]), float(request.GET["lng"])
    except (KeyError, ValueError):
        pass
    else:
        far = 1e12
        orders.sort(
            key=lambda o: (
                actions._distance_m(o.latitude, o.longitude, lat, lng)
                if o.latitude is not None
                else far
            )
        )
    return render(request, "volunteers/orders.html", {"orders": orders, "volunteer": volunteer})


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def new_order(request):
    community = actions.community_of(request.user)
    form = OrderForm(request.POST or None)
    if community is None:
        messages.error(request, _("Register your household with your community first."))
    elif request.method == "POST" and form.is_valid():
        try:
            order = actions.place_order(
                actions.OrderIntake(
                    requester=request.user, community=community, **form.cleaned_data
                ),
                request.user,
            )
        except ValidationError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Your order is posted."))
            return redirect("volunteers:order", pk=order.pk)
    return render(request, "volunteers/new_order.html", {"form": form})


def _visible_order(request, pk) -> ServiceOrder:
    """The requester, the volunteer on it, staff in scope, and any volunteer while it is open
    may see an order; anyone else gets a 404."""
    order = get_object_or_404(
        ServiceOrder.objects.select_related("category", "volunteer", "community"), pk=pk
    )
    user = request.user
    mine = order.requester_id == user.pk or (order.volunteer and order.volunteer.user_id == user.pk)
    in_scope = ServiceOrder.objects.visible_to(user).filter(pk=pk).exists()
    is_open_to_me = (
        order.status == OrderStatus.OPEN
        and Volunteer.objects.filter(user=user, community=order.community).exists()
    )
    if not (mine or in_scope or is_open_to_me):
        raise Http404
    return order


def _qr_svg(text: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue().decode()


@login_required
def order_page(request, pk):
    order = _visible_order(request, pk)
    is_requester = order.requester_id == request.user.pk or may_act_on(
        request.user, order.community
    )
    context = {"order": order, "is_requester": is_requester, "rating_form": RatingForm()}
    if is_requester and order.status in (OrderStatus.TAKEN, OrderStatus.IN_SERVICE):
        purpose = "in" if order.status == OrderStatus.TAKEN else "out"
        token = actions.qr_token(order, purpose)
        url = request.build_absolute_uri(f"/volunteers/orders/{order.pk}/scan/?t={token}")
        context.update(qr=mark_safe(_qr_svg(url)), token=token, purpose=purpose)
    return render(request, "volunteers/order.html", context)


@login_required
@require_POST
def order_act(request, pk, action):
    order = _visible_order(request, pk)
    try:
        if action == "take":
            actions.take_order(order, request.user)
            done = _(
                "You took this order. Be there at the time shown and scan the resident's "
                "code when you arrive."
            )
        elif action == "confirm":
            form = RatingForm(request.POST)
            if not form.is_valid():
                raise ValidationError({"rating": [_("Choose a rating from 1 to 5.")]})
            order = actions.confirm_order(
                order, request.user, form.cleaned_data["rating"], form.cleaned_data["comment"]
            )
            if order.status == OrderStatus.SETTLED:
                done = _("Thank you for rating. The volunteer's 福分 have been paid.")
            else:
                done = _("Thank you for rating. The community will approve the hours.")
        elif action == "cancel":
            actions.cancel_order(order, request.user)
            done = _("The order is cancelled.")
        else:
            raise Http404
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, done)
    return redirect("volunteers:order", pk=order.pk)


@login_required
@require_http_methods(["GET", "POST"])
def scan(request, pk):
    """Where the QR code leads: the volunteer confirms check-in or check-out (POST), sending
    their position when the phone gives it."""
    order = _visible_order(request, pk)
    token = request.POST.get("t") or request.GET.get("t", "")
    purpose = token.split(".")[1] if token.count(".") == 3 else ""
    if request.method == "POST":
        lat = _float(request.POST.get("lat"))
        lng = _float(request.POST.get("lng"))
        try:
            if purpose == "out":
                actions.check_out(order, request.user, token, lat, lng)
                messages.success(request, _("Checked out. Thank you!"))
            else:
                actions.check_in(order, request.user, token, lat, lng)
                messages.success(request, _("Checked in."))
        except ValidationError as exc:
            _error(request, exc)
        return redirect("volunteers:order", pk=order.pk)
    return render(
        request, "volunteers/scan.html", {"order": order, "token": token, "purpose": purpose}
    )


def _float(value):
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


@login_required
def points(request):
    balance, entries = _points_summary(request.user)
    return render(request, "volunteers/points.html", {"balance": balance, "entries": entries})


@login_required
def rewards(request):
    """The rewards this member may redeem (their community's, then partner communities'
    under a 通存通兑 agreement), each with its price in 福分 and, when it is out of reach,
    the reason, and their vouchers."""
    balance, offers = actions.offers_for(request.user)
    vouchers = (
        Voucher.objects.filter(holder=request.user)
        .select_related("reward", "reward__community")
        .order_by("-id")[:20]
    )
    return render(
        request,
        "volunteers/rewards.html",
        {"offers": offers, "vouchers": vouchers, "balance": balance},
    )


@login_required
@require_POST
@idempotent
def redeem(request, pk):
    """Redeem one reward. Whether this member may redeem it (community, agreement, balance,
    stock) is the action's to say; a refusal comes back as a message on the rewards page."""
    reward = Reward.objects.filter(pk=pk).select_related("community").first()
    if reward is None:
        raise Http404
    try:
        voucher = actions.redeem_reward(
            request.user, reward, key=request.POST.get("idempotency_key") or None
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(
            request,
            _("Redeemed %(reward)s for %(price)s 福分. Show voucher %(code)s at the shop.")
            % {"reward": reward.name, "price": from_cents(reward.cost), "code": voucher.code},
        )
    return redirect("volunteers:rewards")


def _certificate(request, number):
    """The volunteer's own certificate, or one in the staff member's area; else 404."""
    cert = get_object_or_404(
        Certificate.objects.select_related("volunteer", "community", "issued_by"), number=number
    )
    if (
        cert.volunteer.user_id != request.user.pk
        and not Certificate.objects.visible_to(request.user).filter(pk=cert.pk).exists()
    ):
        raise Http404
    return cert, actions.stars(cert.volunteer, Decimal(cert.hours))


@login_required
def certificate(request, number):
    cert, stars = _certificate(request, number)
    return render(request, "volunteers/certificate.html", {"cert": cert, "stars": range(stars)})


@login_required
def certificate_pdf(request, number):
    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    from volunteers.certificate_pdf import render_certificate

    cert, stars = _certificate(request, number)
    response = HttpResponse(render_certificate(cert, stars), content_type="application/pdf")
    # Numbers carry the community code, which may be Chinese: RFC 5987 filename*.
    response["Content-Disposition"] = content_disposition_header(
        False, f"certificate-{cert.number}.pdf"
    )
    return response
