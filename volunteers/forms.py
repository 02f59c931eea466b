"""Forms of the public time-bank pages (validation only; writes go through actions)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.text import PhoneField, TextFormMixin
from volunteers.models import ServiceCategory, Skill


class RegisterForm(TextFormMixin, forms.Form):
    real_name = forms.CharField(label=_("Real name"), max_length=60)
    phone = PhoneField(label=_("Mobile phone"), landline=False)
    id_number = forms.RegexField(
        label=_("ID number"),
        regex=r"^\d{17}[\dXx]$",
        max_length=18,
        required=False,
        error_messages={"invalid": _("Enter an 18-character ID number.")},
    )
    skills = forms.ModelMultipleChoiceField(
        label=_("Skills"),
        queryset=Skill.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    availability = forms.CharField(label=_("When I can help"), max_length=200, required=False)
    is_party_member = forms.BooleanField(label=_("I am a party member"), required=False)
    consent = forms.BooleanField(
        label=_(
            "I agree that my details and service records are kept by the community and "
            "sent to the national volunteer system."
        ),
        required=True,
        error_messages={"required": _("Please agree to how your details are used.")},
    )


class OrderForm(TextFormMixin, forms.Form):
    category = forms.ModelChoiceField(label=_("Kind of help"), queryset=ServiceCategory.objects)
    description = forms.CharField(label=_("What is needed"), widget=forms.Textarea, max_length=500)
    place = forms.CharField(label=_("Place"), max_length=120)
    scheduled_at = forms.DateTimeField(
        label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    estimated_hours = forms.DecimalField(
        label=_("Estimated hours"),
        min_value=Decimal("0.25"),
        max_value=Decimal("24"),
        decimal_places=2,
        initial=Decimal("1"),
    )


class RatingForm(TextFormMixin, forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Rating"),
        choices=[(i, "★" * i) for i in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("Comment"), max_length=200, required=False)


class PhotoInput(forms.ClearableFileInput):
    """A phone's camera or gallery; images only (the server checks again: services.photos)."""

    def __init__(self, attrs=None):
        super().__init__({"accept": "image/*", **(attrs or {})})


class WishPhotoForm(TextFormMixin, forms.Form):
    """The photo taken when a wish is fulfilled (optional). A plain file field: the action
    sends it through services.photos, which refuses anything that is not a whole image."""

    photo = forms.FileField(
        label=_("Photo of the fulfilled wish"), required=False, widget=PhotoInput
    )


class WishForm(TextFormMixin, forms.Form):
    """A resident's micro-wish: what, for whom, how to reach them, and a photo."""

    title = forms.CharField(
        label=_("My small wish"),
        max_length=80,
        help_text=_("For example: a radio for my mother, help to carry rice upstairs."),
    )
    beneficiary = forms.CharField(
        label=_("Who the wish is for"),
        max_length=60,
        help_text=_("Only the community office sees this."),
    )
    contact = forms.CharField(
        label=_("Phone to reach you"),
        max_length=60,
        required=False,
        help_text=_("Only the community office sees this."),
    )
    photo = forms.FileField(label=_("A photo (optional)"), required=False, widget=PhotoInput)


class ReportForm(TextFormMixin, forms.Form):
    """双报到 of a party member: 亮身份 (work unit, party branch) and 亮承诺."""

    work_unit = forms.CharField(label=_("Where I work"), max_length=100)
    party_branch = forms.CharField(label=_("My party branch"), max_length=100)
    promise = forms.CharField(
        label=_("What I promise to do for the community (亮承诺)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    target_hours = forms.DecimalField(
        label=_("Hours I aim to serve this year"),
        min_value=Decimal(1),
        max_value=Decimal(1000),
        decimal_places=2,
        initial=Decimal(50),
    )


class UnitReportForm(TextFormMixin, forms.Form):
    """双报到 of a co-building unit: what the unit promises the community."""

    promise = forms.CharField(
        label=_("What our unit promises to do for the community (亮承诺)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    target_hours = forms.DecimalField(
        label=_("Hours our unit aims to serve this year"),
        min_value=Decimal(1),
        max_value=Decimal(1000),
        decimal_places=2,
        initial=Decimal(50),
    )


class DecisionForm(TextFormMixin, forms.Form):
    """Staff approve or refuse a wish or a report; refusing needs a reason."""

    decision = forms.ChoiceField(choices=[("approve", "approve"), ("refuse", "refuse")])
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


def put_back(form: forms.Form, exc: ValidationError) -> None:
    """An action's refusal onto the form that was sent: on its field when the form has one,
    else at the top of the form."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, messages in errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
