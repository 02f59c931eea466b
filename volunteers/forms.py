"""Forms of the public time-bank pages (validation only; writes go through actions)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
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


MAX_WISH_PHOTO = 10 * 1024 * 1024


class WishPhotoForm(TextFormMixin, forms.Form):
    """The photo taken when a wish is fulfilled (optional; an image of at most 10 MB)."""

    photo = forms.ImageField(label=_("Photo of the fulfilled wish"), required=False)

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > MAX_WISH_PHOTO:
            raise forms.ValidationError(_("The photo is too large (at most 10 MB)."))
        return photo
