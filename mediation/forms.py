"""Forms of the mediation pages. They only read input; mediation.actions decides and writes."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from centres.models import Space
from grids.models import Area, CoBuildingUnit
from mediation.choices import (
    DisputeKind,
    FollowUpResult,
    MediatorKind,
    PartyKind,
    ReferredTo,
    Side,
    SignMethod,
    Status,
)

SORTS = {
    "-created": ("-created_at", "-pk"),
    "created": ("created_at", "pk"),
    "number": ("number",),
    "status": ("status", "-created_at"),
    "community": ("community__name", "-created_at"),
}


class ListFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=60)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("any"))] + list(Status.choices)
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("any"))] + list(DisputeKind.choices)
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("-created", _("newest first")),
            ("created", _("oldest first")),
            ("number", _("number")),
            ("status", _("status")),
            ("community", _("community")),
        ],
    )


class DisputeForm(forms.Form):
    place = forms.ModelChoiceField(
        label=_("Place"),
        queryset=Area.objects.none(),
        help_text=_("The community, grid, estate or building where the dispute arose."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=DisputeKind.choices)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=120,
        help_text=_("Shown to all staff of the area: no names, no numbers."),
    )
    facts = forms.CharField(
        label=_("Facts and claims"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = (
            Area.objects.visible_to(user)
            .filter(kind__in=("community", "grid", "estate", "building"))
            .order_by("path")
        )


class PartyForm(forms.Form):
    side = forms.ChoiceField(label=_("Side"), choices=Side.choices)
    kind = forms.ChoiceField(label=_("Kind of party"), choices=PartyKind.choices)
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)


PartyFormSet = forms.formset_factory(PartyForm, extra=1, min_num=2, max_num=20, validate_min=True)


class ConvertForm(forms.Form):
    case_number = forms.CharField(label=_("12345 case number"), max_length=20)
    respondent = forms.CharField(
        label=_("The other side"),
        max_length=100,
        required=False,
        help_text=_("Who the reporter is in dispute with, if known."),
    )


class AskForm(forms.Form):
    """A resident's request for mediation, on the phone."""

    kind = forms.ChoiceField(label=_("What kind of dispute"), choices=DisputeKind.choices)
    other_party = forms.CharField(
        label=_("Who is it with"),
        max_length=100,
        help_text=_("A neighbour (e.g. the family in room 302), the property company, a shop…"),
    )
    other_address = forms.CharField(
        label=_("Their address, if you know it"), max_length=200, required=False
    )
    facts = forms.CharField(
        label=_("What happened, and what would you like"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    phone = forms.CharField(
        label=_("Phone for the mediator to call you"),
        max_length=20,
        required=False,
        help_text=_("Leave empty to use the number of your account."),
    )


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you need the parties' details"),
        max_length=200,
        help_text=_("Each view is recorded in the access log."),
    )


class AssignForm(forms.Form):
    username = forms.CharField(label=_("Mediator's account"), max_length=150)
    kind = forms.ChoiceField(label=_("Kind of mediator"), choices=MediatorKind.choices)
    unit = forms.ModelChoiceField(
        label=_("From the co-building unit"), queryset=CoBuildingUnit.objects.none(), required=False
    )

    def __init__(self, *args, dispute=None, **kwargs):
        super().__init__(*args, **kwargs)
        if dispute is not None:
            self.fields["unit"].queryset = CoBuildingUnit.objects.filter(
                home_community=dispute.community
            ) | CoBuildingUnit.objects.filter(
                centre_agreements__centre__community=dispute.community
            )

    def clean_username(self):
        name = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=name, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No such account."))
        return user


class SessionForm(forms.Form):
    space = forms.ModelChoiceField(label=_("Space"), queryset=Space.objects.none())
    starts_at = forms.DateTimeField(
        label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    attendees = forms.IntegerField(label=_("People"), min_value=1, max_value=200, initial=4)

    def __init__(self, *args, dispute=None, **kwargs):
        super().__init__(*args, **kwargs)
        if dispute is not None:
            self.fields["space"].queryset = (
                Space.objects.filter(centre__community=dispute.community, is_active=True)
                .select_related("centre")
                .order_by("centre__name", "name")
            )


class RecordSessionForm(forms.Form):
    session = forms.IntegerField(widget=forms.HiddenInput)
    attended = forms.MultipleChoiceField(
        label=_("Parties who came"), required=False, widget=forms.CheckboxSelectMultiple
    )
    others_present = forms.CharField(label=_("Others present"), max_length=200, required=False)
    notes = forms.CharField(
        label=_("Notes"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, parties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [(str(p.pk), str(p)) for p in parties]


class TermsForm(forms.Form):
    terms = forms.CharField(
        label=_("Terms agreed"), max_length=4000, widget=forms.Textarea(attrs={"rows": 6})
    )


class SignForm(forms.Form):
    party = forms.IntegerField(widget=forms.HiddenInput)
    method = forms.ChoiceField(label=_("How"), choices=SignMethod.choices)


class ScanForm(forms.Form):
    scan = forms.FileField(label=_("Scanned signed agreement (PDF, JPEG or PNG)"))


class ReferForm(forms.Form):
    referred_to = forms.ChoiceField(label=_("Referred to"), choices=ReferredTo.choices)
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class FollowUpForm(forms.Form):
    visited_on = forms.DateField(
        label=_("Visited on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    result = forms.ChoiceField(label=_("Result"), choices=FollowUpResult.choices)
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
