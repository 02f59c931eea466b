"""Forms of the public site and the staff pages. They only parse and check input; the write
itself is always a centres.actions call (whose ValidationErrors land on the named field)."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from centres.models import AffairItem, FunctionCode
from portal.text import TextFormMixin


class FinderForm(TextFormMixin, forms.Form):
    q = forms.CharField(label=_("Name or address"), required=False, max_length=50)
    # A plain id: the page renders the few hundred options itself (a ModelChoiceField's
    # widget renders each option through the template engine, which costs more than the
    # rest of the page).
    community = forms.IntegerField(label=_("Community"), required=False, min_value=1)
    function = forms.ChoiceField(
        label=_("Service"),
        required=False,
        choices=[("", _("Any service"))] + list(FunctionCode.choices),
    )
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)


class BookingForm(TextFormMixin, forms.Form):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}))
    purpose = forms.CharField(label=_("What for"), max_length=200)
    attendees = forms.IntegerField(label=_("How many people"), min_value=1, initial=1)
    weeks = forms.IntegerField(
        label=_("Repeat weekly for (weeks)"), min_value=1, max_value=26, initial=1
    )

    def clean(self):
        data = super().clean()
        if {"day", "start", "end"} <= data.keys():
            data["starts_at"] = timezone.make_aware(datetime.combine(data["day"], data["start"]))
            data["ends_at"] = timezone.make_aware(datetime.combine(data["day"], data["end"]))
        return data


class AppointmentForm(TextFormMixin, forms.Form):
    item = forms.ModelChoiceField(
        label=_("What do you need to do?"), queryset=AffairItem.objects.filter(is_active=True)
    )
    slot = forms.IntegerField(widget=forms.HiddenInput)
    channel = forms.ChoiceField(
        label=_("How"),
        choices=[
            ("at_centre", _("at the centre")),
            ("proxy", _("proxy handling (帮代办)")),
            ("home_visit", _("home visit (上门服务)")),
        ],
        initial="at_centre",
    )


class CheckInForm(TextFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class WeekForm(TextFormMixin, forms.Form):
    start = forms.DateField(required=False)
