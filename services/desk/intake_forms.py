"""The desk's intake form. It parses and checks what the operator typed; whether they may set
the channel and flags is decided by services.actions.intake_rights when the case is filed (a
forged field is refused there with an error on it, never dropped here)."""

from __future__ import annotations

import secrets
from typing import cast

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.models import Area
from grids.scope import scope_for
from portal.idempotency import FIELD as IDEMPOTENCY_FIELD
from portal.text import TextFormMixin
from services.actions import DESK_CHANNELS, PLACE_KINDS, Intake, normalise_phone
from services.choices import CaseType, Channel, Urgency
from services.forms import CaseForm, PhotosField, categories_by_use

FORM_SALT = "services.desk.intake"
# A form opened longer ago than a shift (or by another login) is stale: the operator checks
# it before it is filed.
FORM_MAX_AGE = 12 * 3600


def form_token(user) -> str:
    return signing.dumps({"u": user.pk}, salt=FORM_SALT, compress=False)


def token_is_fresh(token: str, user) -> bool:
    try:
        data = signing.loads(token or "", salt=FORM_SALT, max_age=FORM_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return False
    return isinstance(data, dict) and data.get("u") == user.pk


class DeskIntakeForm(TextFormMixin, forms.Form):
    """A hotline call, a walk-in at the window or a unit's report, keyed in by desk staff."""

    channel = forms.ChoiceField(
        label=gettext_lazy("How it came in"), choices=Channel.choices, widget=forms.RadioSelect
    )
    phone = forms.CharField(
        label=gettext_lazy("Caller's phone"),
        max_length=30,
        required=False,
        help_text=gettext_lazy("Type it first: their household and earlier cases come up."),
    )
    reporter_name = forms.CharField(
        label=gettext_lazy("Caller's name"), max_length=60, required=False
    )
    q = forms.CharField(
        label=gettext_lazy("Find the place"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("A building, an estate or an address, e.g. 阳光花园3号楼."),
    )
    place = forms.IntegerField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    address = forms.CharField(
        label=gettext_lazy("Address or landmark (optional)"), max_length=200, required=False
    )
    case_type = forms.ChoiceField(
        label=gettext_lazy("Type"), choices=CaseType.choices, initial=CaseType.HELP
    )
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), coerce=int)
    description = forms.CharField(
        label=gettext_lazy("What the caller says"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    urgency = forms.ChoiceField(
        label=gettext_lazy("Urgency"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
    )
    answer_now = forms.BooleanField(
        label=gettext_lazy("Answered on the phone: close it now (即时办结)"), required=False
    )
    answer = forms.CharField(
        label=gettext_lazy("The answer given"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = PhotosField(label=gettext_lazy("Photos or scanned letters (up to 9)"))
    # Never offered at the desk: sent only by a forged request, and then refused by the rule
    # (services.actions.intake_rights) with an error on the field, not dropped.
    raised_before_complaint = forms.BooleanField(required=False, widget=forms.HiddenInput)
    handled_on_spot = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # The duplicates the operator has been shown (numbers); a new one appearing meanwhile is
    # shown before the case is saved.
    seen_duplicates = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    form_token = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args, user, desk_channels: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["channel"].widget.choices = [(c, Channel(c).label) for c in desk_channels]
        self.fields["channel"].initial = desk_channels[0] if desk_channels else None
        category = cast(forms.TypedChoiceField, self.fields["category"])
        category.choices = [("", "—")] + [
            (str(c.pk), f"{c.parent.name} · {c.name}" if c.parent else c.name)
            for c in categories_by_use()
        ]
        self.fields["phone"].widget.attrs.update(
            {"inputmode": "tel", "autocomplete": "off", "autofocus": True}
        )
        self.fields["q"].widget.attrs.update(
            {"autocomplete": "off", "role": "combobox", "aria-autocomplete": "list"}
        )
        self.fields["q"].widget.input_type = "search"
        self.place_obj: Area | None = None

    def clean_phone(self) -> str:
        try:
            return normalise_phone(self.cleaned_data.get("phone", ""))
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean_place(self) -> Area | None:
        pk = self.cleaned_data.get("place")
        if pk is None:
            return None
        place = Area.objects.filter(pk=pk).only("pk", "name", "kind", "path", "depth").first()
        if place is None or place.kind not in PLACE_KINDS:
            raise ValidationError(_("Choose a grid, estate or building."))
        if not scope_for(self.user).covers_area(place):
            raise ValidationError(_("This place is outside your area."))
        self.place_obj = place
        return place

    def seen(self) -> set[str]:
        raw = self.cleaned_data.get("seen_duplicates", "") if hasattr(self, "cleaned_data") else ""
        return {n for n in raw.replace(" ", "").split(",") if n}

    def require_place(self) -> bool:
        if self.cleaned_data.get("place") is None and "place" not in self.errors:
            self.add_error(
                "place",
                _("Find the place: type a building, estate or address, or pick it on the map."),
            )
            return False
        return "place" not in self.errors

    def intake(self) -> Intake:
        d = self.cleaned_data
        return Intake(
            case_type=d["case_type"],
            category=d["category"],
            description=d["description"],
            place=d["place"],
            channel=d["channel"],
            lat=d.get("lat"),
            lng=d.get("lng"),
            address=d.get("address", ""),
            reporter_name=d.get("reporter_name", ""),
            reporter_phone=d.get("phone", ""),
            urgency=d["urgency"],
            raised_before_complaint=d.get("raised_before_complaint", False),
            handled_on_spot=d.get("handled_on_spot", False),
            photos=d.get("photos") or [],
            at=DESK_CHANNELS,
        )

    def add_action_errors(self, exc: ValidationError) -> None:
        """An action's ValidationError on the fields it names (others on the form)."""
        CaseForm.add_action_errors(cast(CaseForm, self), exc)


def fresh_initial(user) -> dict:
    """What a new form carries besides the operator's input: a token telling a stale form
    apart, and an idempotency key so a double click or a resent request files once."""
    return {"form_token": form_token(user), IDEMPOTENCY_FIELD: secrets.token_urlsafe(24)}
