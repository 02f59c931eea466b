"""Residents log in with their phone: a one-time code by SMS, or a password; and register as a
resident of a household (staff verify them before household-only actions).

Codes are six digits, kept only as an HMAC in the shared cache (Redis), valid for five
minutes, refused after five wrong tries, and sent at most once a minute and five times an hour
per phone (and twenty an hour per IP). Wrong codes count as failed logins of the phone's account
in django-axes, like wrong passwords on the other login pages (portal.security): the account or
the address is locked out past the limit, and every try is in the login log. While the cache is
unreachable no code can be kept, so none is sent (the page says so; passwords still work). The SMS goes through `sms_sender()`: an HTTP gateway when
LINLI["SMS_URL"] is set, else the log (development shows the code in the console).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from portal import http, ratelimit, security, text
from portal.landing import landing_url

logger = logging.getLogger("linli.sms")

CODE_TTL = 300  # seconds
MAX_TRIES = 5


def clean_phone(value: str) -> str:
    """A mainland mobile number, digits only (portal.text's phone rule, mobiles only)."""
    return text.clean_phone(value, landline=False)


# Sent after a phone-code login: the user has just proven `phone` is theirs (services claims
# the cases filed for that number). The number is also kept in the session under this key.
phone_verified = Signal()
VERIFIED_PHONE_KEY = "linli_verified_phone"


# --- SMS ---------------------------------------------------------------------------------------


class SmsError(Exception):
    pass


class LogSms:
    """Development: the message goes to the log (and `sent`, for tests in this process)."""

    sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)
        self.sent.append((phone, text))
        del self.sent[:-50]


class HttpSms:
    """An SMS gateway taking {"to", "text"} as JSON with a bearer key."""

    def __init__(self, url: str, key: str, timeout: float = 5):
        self.url, self.key, self.timeout = url, key, timeout

    def send(self, phone: str, text: str) -> None:
        try:
            http.post_json(
                self.url, {"to": phone, "text": text}, key=self.key, timeout=self.timeout
            )
        except http.HttpError as exc:
            raise SmsError(str(exc)) from exc


def sms_sender():
    url = settings.LINLI.get("SMS_URL", "")
    return HttpSms(url, settings.LINLI.get("SMS_KEY", "")) if url else LogSms()


# --- one-time codes ------------------------------------------------------------------------------


def _digest(phone: str, code: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256
    ).hexdigest()


def _key(phone: str) -> str:
    return f"linli:otp:{phone}"


def issue_code(phone: str, ip: str) -> None:
    """Send a fresh code, or raise ValidationError when this phone or address asks too often."""
    if not ratelimit.hit(f"otp-min:{phone}", 1, 60) or not ratelimit.hit(
        f"otp-hour:{phone}", 5, 3600
    ):
        raise forms.ValidationError(_("A code was sent recently. Wait a minute and try again."))
    if not ratelimit.hit(f"otp-ip:{ip}", 20, 3600):
        raise forms.ValidationError(_("Too many codes from this network. Try again later."))
    code = f"{secrets.randbelow(10**6):06d}"
    entry = {"digest": _digest(phone, code), "tries": 0}
    cache.set(_key(phone), entry, CODE_TTL)
    if cache.get(_key(phone)) != entry:
        # The cache is down (its errors are ignored): a code sent now could never be checked.
        logger.warning("login code for %s not sent: the cache did not keep it", phone)
        raise forms.ValidationError(
            _("Codes cannot be sent right now. Try again in a few minutes, or use your password.")
        )
    text = _("Your Linli login code is %(code)s. It is valid for 5 minutes.") % {"code": code}
    try:
        sms_sender().send(phone, text)
    except SmsError as exc:
        logger.warning("SMS to %s failed: %s", phone, exc)
        raise forms.ValidationError(_("The text message could not be sent. Try again.")) from exc


def check_code(phone: str, code: str) -> bool:
    """True once for the right code; wrong tries count, and the fifth burns the code."""
    entry = cache.get(_key(phone))
    if not entry:
        return False
    if hmac.compare_digest(entry["digest"], _digest(phone, (code or "").strip())):
        cache.delete(_key(phone))
        return True
    entry["tries"] += 1
    if entry["tries"] >= MAX_TRIES:
        cache.delete(_key(phone))
    else:
        cache.set(_key(phone), entry, CODE_TTL)
    return False


def user_for_phone(phone: str, create: bool = False):
    User = get_user_model()
    user = User.objects.filter(phone=phone).first()
    if user is None and create:
        try:
            with transaction.atomic():
                user = User.objects.create(username=f"p{phone}", phone=phone)
                user.set_unusable_password()
                user.save(update_fields=["password"])
        except IntegrityError:
            user = User.objects.get(phone=phone)
    return user


# --- forms and views -----------------------------------------------------------------------------


def account_name(phone: str) -> str:
    """The username the lockout counts a phone's failures under: its account's, so a wrong
    code and a wrong password count against the same account (p<phone> when there is none)."""
    user = get_user_model().objects.filter(phone=phone).only("username").first()
    return user.get_username() if user is not None else f"p{phone}"


class PhoneLoginForm(text.TextFormMixin, forms.Form):
    phone = forms.CharField(label=gettext_lazy("Mobile number"), max_length=40)
    code = forms.CharField(
        label=gettext_lazy("Code from the text message"), max_length=6, required=False
    )

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        self.user = None
        self.locked = False
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.attrs.update(
            {"inputmode": "tel", "autocomplete": "tel", "placeholder": "13800000000"}
        )
        self.fields["code"].widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": r"\d{6}"}
        )

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])

    def send(self) -> None:
        issue_code(self.cleaned_data["phone"], ratelimit.client_ip(self.request))

    def clean(self):
        data = super().clean()
        phone = data.get("phone")
        if phone and self.data.get("step") == "login":
            if not data.get("code"):
                self.add_error("code", _("Enter the code from the text message."))
                return data
            name = account_name(phone)
            if security.is_locked(self.request, name):
                # AxesMiddleware answers with the lockout page (429).
                self.locked = self.request.axes_locked_out = True
                self.add_error(None, security.lockout_message())
            elif not check_code(phone, data["code"]):
                user_login_failed.send(
                    sender=__name__, credentials={"username": name}, request=self.request
                )
                self.add_error("code", _("The code is wrong or has expired. Ask for a new one."))
            else:
                self.user = user_for_phone(phone, create=True)
                if not self.user.is_active:
                    self.add_error("phone", _("This account is disabled."))
        return data


def _next(request) -> str:
    """The page asked for (a safe `next`), or "" when none was: the login then lands the user
    by portal.landing (residents on /cases/, staff on the desk)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return ""
    return target


def _password_form(request) -> AuthenticationForm:
    """The password form beside the phone form, without Django's autofocus on its username:
    the cursor stayed in the second form while the page asked for a phone number first."""
    form = AuthenticationForm(request)
    form.fields["username"].widget.attrs.pop("autofocus", None)
    return form


@require_http_methods(["GET", "POST"])
def phone_login(request):
    """Log in by phone: step "send" texts a code, step "login" checks it. The password form
    sits beside it for residents who set one."""
    form = PhoneLoginForm(request.POST or None, request=request)
    code_sent = False
    if request.method == "POST" and form.is_valid():
        if request.POST.get("step") == "send":
            try:
                form.send()
                code_sent = True
                messages.info(request, _("We sent a code to your phone."))
            except forms.ValidationError as exc:
                form.add_error("phone", exc)
        else:
            login(request, form.user, backend="django.contrib.auth.backends.ModelBackend")
            phone = form.cleaned_data["phone"]
            request.session[VERIFIED_PHONE_KEY] = phone
            phone_verified.send(sender=PhoneLoginForm, user=form.user, phone=phone)
            return redirect(_next(request) or landing_url(form.user, "/cases/"))
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "registration/phone_login.html",
        {
            "form": form,
            "code_sent": code_sent or bool(request.POST.get("code")),
            "password_form": _password_form(request),
            "next": _next(request),
        },
        status=status,
    )


class RegisterForm(text.TextFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=60)
    # Filled by the place picker (community → grid → estate → building), as on the case form.
    place = forms.IntegerField(label=gettext_lazy("Building"), widget=forms.HiddenInput)
    room = forms.CharField(label=gettext_lazy("Room"), max_length=30)
    relation = forms.CharField(
        label=gettext_lazy("Relation to the head of household"), max_length=20, required=False
    )

    def clean(self):
        from grids.models import Area, Household

        data = super().clean()
        building = Area.objects.filter(pk=data.get("place"), kind="building").first()
        if building is None:
            self.add_error("place", _("Choose your building."))
        elif building is not None and data.get("room"):
            household = Household.objects.filter(
                building=building, room=data["room"].strip()
            ).first()
            if household is None:
                self.add_error(
                    "room",
                    _("This room is not on the community's register. Ask the community office."),
                )
            data["household"] = household
        return data


@require_http_methods(["GET", "POST"])
def register(request):
    """Register as a resident of a household: a Resident row that staff verify
    (`verified`); until then household-only actions stay closed."""
    from django.contrib.auth.views import redirect_to_login

    from grids.models import Resident

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), "/cases/login/")
    existing = (
        Resident.objects.filter(user=request.user).select_related("household__building").first()
    )
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and existing is None and form.is_valid():
        Resident.objects.create(
            household=form.cleaned_data["household"],
            user=request.user,
            name=form.cleaned_data["name"].strip(),
            phone=request.user.phone or "",
            relation=form.cleaned_data.get("relation", "").strip(),
            verified=False,
        )
        if not request.user.display_name:
            request.user.display_name = form.cleaned_data["name"].strip()
            request.user.save(update_fields=["display_name"])
        messages.success(request, _("Registered. The community office will verify you."))
        return redirect("services:mine")
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request, "registration/register.html", {"form": form, "existing": existing}, status=status
    )
