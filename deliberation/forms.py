"""Forms of the deliberation pages. They check shapes; the rules are in deliberation.actions,
whose refusals come back as errors on the named field (`put_back`)."""

from __future__ import annotations

from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from deliberation.models import Choice, MatterKind, MeetingKind, Source
from portal.text import TextFormMixin


def put_back(form: forms.Form, exc: ValidationError) -> None:
    """An operation's refusal as form errors (an unknown field goes to the whole form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class MatterForm(TextFormMixin, forms.Form):
    area = forms.TypedChoiceField(label=_("Where"), coerce=int)
    kind = forms.ModelChoiceField(
        label=_("Kind of matter"), queryset=MatterKind.objects.filter(is_active=True)
    )
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("What should be decided, and why"), max_length=4000, widget=forms.Textarea
    )

    def __init__(self, *args, areas=(), staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["area"]).choices = [(a.pk, a.label) for a in areas]
        if staff:
            self.fields["source"] = forms.ChoiceField(
                label=_("Raised by"),
                choices=[(s.value, s.label) for s in Source if s not in (Source.CASES,)],
                initial=Source.STAFF,
            )


class VoteForm(TextFormMixin, forms.Form):
    choice = forms.ChoiceField(
        label=_("Your vote"), choices=Choice.choices, widget=forms.RadioSelect
    )


class CommentForm(TextFormMixin, forms.Form):
    body = forms.CharField(
        label=_("Your comment"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4})
    )


class EvaluateForm(TextFormMixin, forms.Form):
    score = forms.TypedChoiceField(
        label=_("How well was it done?"),
        coerce=int,
        choices=[
            (5, _("very good")),
            (4, _("good")),
            (3, _("fair")),
            (2, _("poor")),
            (1, _("bad")),
        ],
        widget=forms.RadioSelect,
    )
    remark = forms.CharField(label=_("Remark (optional)"), max_length=300, required=False)


class MeetingForm(TextFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Meeting"), choices=MeetingKind.choices)
    space = forms.TypedChoiceField(
        label=_("Deliberation hall (booked for the meeting)"), coerce=int, required=False
    )
    place = forms.CharField(label=_("Or another place"), max_length=120, required=False)
    starts_at = forms.DateTimeField(
        label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    agenda = forms.CharField(label=_("Notice and agenda"), max_length=4000, widget=forms.Textarea)

    def __init__(self, *args, spaces=(), kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["space"]).choices = [
            ("", _("— none —")),
            *[(s.pk, str(s)) for s in spaces],
        ]
        if kinds:
            cast(forms.ChoiceField, self.fields["kind"]).choices = [
                (k, MeetingKind(k).label) for k in kinds
            ]


class MinutesForm(TextFormMixin, forms.Form):
    minutes = forms.CharField(label=_("Minutes"), max_length=20000, widget=forms.Textarea)
    attendees = forms.CharField(
        label=_("Attendance: one person a line, “name, attending as”"),
        max_length=20000,
        widget=forms.Textarea,
    )

    def clean_attendees(self) -> list[tuple[str, str]]:
        rows = []
        for line in self.cleaned_data["attendees"].splitlines():
            name, _sep, capacity = line.replace("，", ",").partition(",")
            if name.strip():
                rows.append((name.strip(), capacity.strip()))
        if not rows:
            raise ValidationError(_("List at least one person who attended."))
        return rows


class VoteOpenForm(TextFormMixin, forms.Form):
    plan = forms.CharField(label=_("Plan put to the vote"), max_length=4000, widget=forms.Textarea)
    closes_at = forms.DateTimeField(
        label=_("Vote closes"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class PlanForm(TextFormMixin, forms.Form):
    plan = forms.CharField(label=_("Plan put to the vote"), max_length=4000, widget=forms.Textarea)


class ReasonForm(TextFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ProgressForm(TextFormMixin, forms.Form):
    note = forms.CharField(label=_("Progress"), max_length=1000, widget=forms.Textarea)
    done = forms.BooleanField(label=_("Carried out in full"), required=False)
