"""The centres admin's forms: each checks its rule with the function of centres.actions that
the operation itself applies, so a refusal shows on the field before anything is written."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from centres import actions
from centres.models import Activity, Appointment
from portal.text import TextFormMixin


class ActivityForm(TextFormMixin, forms.ModelForm):
    """An activity's form: a change of places is checked by actions.check_places against the
    current counts, so a refusal shows on the field (the write is actions.update_activity)."""

    class Meta:
        model = Activity
        fields = [
            "centre",
            "function",
            "space",
            "title",
            "kind",
            "description",
            "starts_at",
            "ends_at",
            "capacity",
            "reserved_places",
            "signup_opens_at",
            "signup_closes_at",
            "cancel_deadline",
            "survey_question",
            "is_published",
            "min_age",
            "max_age",
            "residents_only",
        ]

    def clean(self):
        data = super().clean()
        if self.instance.pk and {"capacity", "reserved_places"} & set(self.changed_data):
            current = Activity.objects.get(pk=self.instance.pk)
            try:
                actions.check_places(
                    current,
                    data.get("capacity", current.capacity),
                    data.get("reserved_places", current.reserved_places),
                )
            except ValidationError as exc:
                raise ValidationError(exc.message_dict) from exc
        return data


class CancelActivityForm(TextFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is it cancelled?"),
        max_length=200,
        help_text=_("Everyone signed up or waiting gets this in their message."),
    )


class AppointmentRecordForm(TextFormMixin, forms.ModelForm):
    """Staff record what came of an appointment; the rules are actions.validate_record's and
    the write is actions.record_appointment's."""

    class Meta:
        model = Appointment
        fields = ["status", "outcome", "acting_for", "consent"]

    def clean(self):
        data = super().clean()
        current = Appointment.objects.filter(pk=self.instance.pk).first()
        if current is None:  # the form records an existing appointment, never a new one
            raise ValidationError(_("Choose an appointment to record."))
        try:
            actions.validate_record(
                current,
                data.get("status", ""),
                data.get("outcome", ""),
                data.get("acting_for", ""),
                data.get("consent", ""),
            )
        except ValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return data
