"""The staff forms of /workforce/: enter a worker, change grade or sequence, transfer, mark as
left. They only validate input; the write goes through workforce.actions (see views_edit)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Area
from grids.models.roles import OFFICE_ROLES
from grids.scope import scope_for
from workforce.models import ContractKind, Education, Position, Qualification, Sequence, Worker


def office_paths(user) -> tuple[str, ...] | None:
    """The subtrees the user's office roles cover (None: everything, a superuser)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return None
    return tuple(p for r in OFFICE_ROLES for p in scope.paths_by_role.get(r, ()))


def communities_for(user, exclude: Area | None = None, within: str = ""):
    """The communities the user's office roles cover (the targets of a new worker or a move),
    optionally within one subtree (a city's path)."""
    paths = office_paths(user)
    qs = Area.objects.filter(kind="community", path__startswith=within)
    if paths is not None:
        qs = qs.filter(scope_for(user).area_q(paths=paths))
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.order_by("path")


class DateInput(forms.DateInput):
    input_type = "date"


class WorkerForm(forms.Form):
    community = forms.ModelChoiceField(label=_("community"), queryset=Area.objects.none())
    name = forms.CharField(label=_("name"), max_length=60)
    position = forms.ChoiceField(label=_("position"), choices=Position.choices)
    sequence = forms.ModelChoiceField(label=_("post sequence"), queryset=Sequence.objects.none())
    grade = forms.IntegerField(label=_("grade"), min_value=1, max_value=30)
    started_on = forms.DateField(label=_("started on"), widget=DateInput)
    phone = forms.CharField(label=_("mobile phone"), max_length=20, required=False)
    contract_kind = forms.ChoiceField(
        label=_("contract"), choices=ContractKind.choices, initial=ContractKind.LABOUR
    )
    contract_ends_on = forms.DateField(
        label=_("contract ends on"), required=False, widget=DateInput
    )
    qualification = forms.ChoiceField(
        label=_("social work qualification"),
        choices=Qualification.choices,
        initial=Qualification.NONE,
    )
    education = forms.ChoiceField(
        label=_("education"), choices=Education.choices, initial=Education.COLLEGE
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities_for(user)  # type: ignore[attr-defined]
        sequences = Sequence.objects.select_related("ladder").order_by("ladder_id", "rank")
        paths = office_paths(user)
        if paths is not None:
            cities = {p[: Area.steplen] for p in paths}
            sequences = sequences.filter(ladder__city__path__in=cities)
        self.fields["sequence"].queryset = sequences  # type: ignore[attr-defined]


class GradeForm(forms.Form):
    sequence = forms.ModelChoiceField(label=_("post sequence"), queryset=Sequence.objects.none())
    grade = forms.IntegerField(label=_("grade"), min_value=1, max_value=30)
    since = forms.DateField(label=_("in this grade since"), widget=DateInput)
    note = forms.CharField(label=_("reason"), max_length=200)

    def __init__(self, *args, worker: Worker, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sequence"].queryset = (  # type: ignore[attr-defined]
            worker.sequence.ladder.sequences.order_by("rank")
        )
        self.fields["sequence"].initial = worker.sequence_id
        self.fields["grade"].initial = worker.grade
        self.fields["since"].initial = timezone.localdate()


class TransferForm(forms.Form):
    community = forms.ModelChoiceField(label=_("new community"), queryset=Area.objects.none())
    note = forms.CharField(label=_("reason"), max_length=200, required=False)

    def __init__(self, *args, worker: Worker, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Within the worker's city: another city keeps another ladder.
        city = worker.community.path[: Area.steplen]
        self.fields["community"].queryset = communities_for(  # type: ignore[attr-defined]
            user, exclude=worker.community, within=city
        )


class LeaveForm(forms.Form):
    left_on = forms.DateField(label=_("left on"), widget=DateInput)
    note = forms.CharField(label=_("reason"), max_length=200, required=False)
    confirm = forms.BooleanField(
        label=_("I confirm: the worker leaves and their grid memberships end that day.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["left_on"].initial = timezone.localdate()


def add_errors(form: forms.Form, exc: ValidationError) -> None:
    """An action's ValidationError on the form: on the field it names when the form has it,
    else above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)
