"""The preferences form of /inbox/settings/: it parses and checks; notifications.actions
saves (and puts its refusals back on the form)."""

from __future__ import annotations

from datetime import time

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from notifications import kinds, notify
from portal.text import TextFormMixin


def offered_channels() -> list[str]:
    """The channels people may choose between here: those the site has switched on."""
    enabled = set(notify.enabled_channels())
    return [c for c in kinds.USER_CHANNELS if c in enabled]


class PreferenceForm(TextFormMixin, forms.Form):
    """One row of channel boxes per kind group, then quiet hours."""

    quiet_hours = forms.BooleanField(
        label=_("Hold text and WeChat messages during quiet hours"), required=False
    )
    quiet_start = forms.TimeField(
        label=_("Quiet from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_end = forms.TimeField(
        label=_("Quiet until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def __init__(self, *args, preference=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        offered = offered_channels()
        self.offered = set(offered)
        choices = [(c, kinds.CHANNEL_LABELS[c]) for c in offered]
        self.group_fields: list[str] = []
        saved = preference.channels if preference is not None else {}
        # What each group has now: the saved choice, else what its kinds go out on.
        self.current: dict[str, set[str]] = {}
        for group in kinds.GROUPS.values():
            defaults = {c for k in kinds.kinds_of(group.code) for c in k.channels}
            self.current[group.code] = set(saved.get(group.code, defaults))
            field = forms.MultipleChoiceField(
                label=group.label,
                choices=choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=[c for c in offered if c in self.current[group.code] | group.required],
                help_text=" · ".join(str(k.label) for k in kinds.kinds_of(group.code)),
            )
            field.required_channels = sorted(group.required & set(offered))  # type: ignore[attr-defined]
            self.fields[group.code] = field
            self.group_fields.append(group.code)
        quiet = notify.quiet_hours_of(preference)
        self.fields["quiet_hours"].initial = quiet is not None
        if quiet is None and preference is not None:
            quiet = (preference.quiet_start, preference.quiet_end)
        start, end = quiet or (time(22, 0), time(7, 0))
        self.fields["quiet_start"].initial = start
        self.fields["quiet_end"].initial = end

    def groups(self):
        """The group fields, bound, for the template."""
        return [self[name] for name in self.group_fields]

    def channels(self) -> dict[str, list[str]]:
        """Each group's chosen channels; a channel the site does not offer keeps what was
        saved (it cannot be changed here)."""
        return {
            name: sorted(
                set(self.cleaned_data.get(name) or []) | (self.current[name] - self.offered)
            )
            for name in self.group_fields
        }

    def add_action_errors(self, exc: ValidationError) -> None:
        for name, errors in exc.message_dict.items():
            self.add_error(name if name in self.fields else None, errors)
