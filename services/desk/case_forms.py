"""The short forms of the desk's case page, one per action (services.desk.case).

Each form parses and checks its input, then calls its operation in services.actions with the
version the page was drawn with; the operation's ValidationError is put back on the fields it
names. A form never writes a row itself."""

from __future__ import annotations

from functools import cached_property
from typing import ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.models import Area, Department
from portal.text import TextFormMixin
from services import actions, routing
from services.actions.dispatch import _target_from
from services.case_page import SET_MALICIOUS, Situation, my_joint_units
from services.choices import Action, CallbackMethod, JointRole, Level, Rating
from services.desk.case_fields import errors_html, render_field
from services.forms import PhotosField
from services.models import Case

# Engine fields (services.actions' ValidationError keys) → this page's form fields.
FIELD_MAP = {
    "area": "target",
    "department": "target",
    "level": "target",
    "note": "note",
    "reason": "reason",
    "result": "result",
    "working_days": "working_days",
    "master": "master",
    "unit": "unit",
    "report": "report",
    "photos": "photos",
    "solved": "solved",
    "rating": "rating",
    "method": "method",
    "role": "role",
}
# Keys that mean the page was stale: someone acted first (handled as a race, not as bad input).
RACE_KEYS = frozenset({"expected_version", "action"})

LEVEL_OF_KIND = {
    "grid": Level.GRID,
    "community": Level.COMMUNITY,
    "street": Level.STREET,
    "city": Level.CITY,
}


class CasePage:
    """What the forms need of the page: the case as loaded, the user, what the page read
    beside it, and the units a case may be sent to (read only when a form asks)."""

    def __init__(self, case: Case, user, situation: Situation, last_event: int | None):
        self.case = case
        self.user = user
        self.situation = situation
        self.last_event = last_event

    @cached_property
    def units(self) -> tuple[list[Area], list[Department]]:
        """The area units above the place (grid, community, street, city) and the active
        departments of its district and city: two small queries, once per page."""
        chain = routing.place_chain(self.case)
        areas = [chain[k] for k in ("grid", "community", "street", "city") if k in chain]
        prefixes = routing.path_prefixes(self.case.place_path)
        departments = list(
            Department.objects.filter(is_active=True, area__path__in=prefixes).order_by("name")
        )
        return areas, departments

    def target_choices(self, *, exclude_current: bool = False) -> list:
        areas, departments = self.units
        case = self.case
        area_choices = [
            (f"area:{a.pk}", f"{Level(LEVEL_OF_KIND[a.kind]).label} · {a.name}")
            for a in areas
            if not (exclude_current and a.pk == case.handling_area_id)
        ]
        dept_choices = [
            (f"dept:{d.pk}", d.name)
            for d in departments
            if not (exclude_current and d.pk == case.handling_department_id)
        ]
        groups = []
        if area_choices:
            groups.append((_("area units"), area_choices))
        if dept_choices:
            groups.append((_("departments"), dept_choices))
        return groups


class ActionForm(TextFormMixin, forms.Form):
    """One action's short form. Subclasses name the action and their fields and call the
    operation in `perform`."""

    action: ClassVar[str] = ""
    title: ClassVar[str | Promise] = ""
    expected_version = forms.IntegerField(widget=forms.HiddenInput)
    seen = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, page: CasePage, data=None, files=None):
        super().__init__(
            data,
            files,
            auto_id=f"{self.action}-%s",
            initial={"expected_version": page.case.version, "seen": page.last_event},
        )
        self.page = page
        self.case = page.case
        self.user = page.user
        self.setup()

    def setup(self) -> None:
        """Fill choices from the page (subclasses)."""

    @property
    def label(self) -> str:
        """The button's text."""
        return str(self.title)

    @property
    def version(self) -> int:
        return self.cleaned_data["expected_version"]

    def perform(self) -> None:  # pragma: no cover - every subclass has its own
        raise NotImplementedError

    def run(self) -> None:
        """Call the operation; its refusal lands on the named field (or the form)."""
        self.perform()

    @property
    def body_html(self) -> SafeString:
        """The form's fields as HTML (hidden ones, errors, labels), written here rather than
        through Django's widget templates: a page offers up to a dozen forms, and the widget
        templates were a third of its time."""
        parts = [render_field(bf) for bf in self.hidden_fields()]
        if self.non_field_errors():
            parts.append(errors_html(self.non_field_errors(), ""))
        if any(bf.errors for bf in self.hidden_fields()):
            parts.append(errors_html([_("The form was out of date: reload the page.")], ""))
        parts += [render_field(bf) for bf in self.visible_fields()]
        return mark_safe("".join(parts))  # render_field escapes every value it writes

    def add_action_error(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for name, errors in exc.error_dict.items():
            target = FIELD_MAP.get(name)
            self.add_error(target if target in self.fields else None, errors)


def _text(label, *, required: bool = True, rows: int = 2, max_length: int = 2000, **kw):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kw,
    )


NOTE = gettext_lazy("note")


class DispatchForm(ActionForm):
    action = Action.DISPATCH
    title = Action.DISPATCH.label
    target = forms.ChoiceField(label=gettext_lazy("send to"), required=False)
    note = _text(NOTE, required=False)

    def setup(self):
        auto = [("", _("by the routing rules"))]
        self.fields["target"].choices = auto + self.page.target_choices()

    def perform(self):
        target = None
        value = self.cleaned_data["target"]
        if value:
            kind, pk = value.split(":")
            target = _target_from(
                None,
                int(pk) if kind == "area" else None,
                int(pk) if kind == "dept" else None,
                self.case,
            )
        actions.dispatch(
            self.case,
            actor=self.user,
            target=target,
            note=self.cleaned_data["note"],
            expected_version=self.version,
        )


def _target_kwargs(value: str) -> dict:
    if not value:
        return {}
    kind, pk = value.split(":")
    return {"area": int(pk)} if kind == "area" else {"department": int(pk)}


class SignForForm(ActionForm):
    action = Action.SIGN_FOR
    title = Action.SIGN_FOR.label
    note = _text(NOTE, required=False, rows=1)

    def perform(self):
        actions.sign_for(
            self.case,
            actor=self.user,
            note=self.cleaned_data["note"],
            expected_version=self.version,
        )


class ContactForm(ActionForm):
    action = Action.RECORD_CONTACT
    title = Action.RECORD_CONTACT.label
    note = _text(gettext_lazy("how the resident was contacted"))

    def perform(self):
        actions.record_contact(
            self.case,
            actor=self.user,
            note=self.cleaned_data["note"],
            expected_version=self.version,
        )


class StartForm(ActionForm):
    action = Action.START
    title = Action.START.label
    note = _text(NOTE, required=False, rows=1)

    def perform(self):
        actions.start(
            self.case,
            actor=self.user,
            note=self.cleaned_data["note"],
            expected_version=self.version,
        )


class ProgressForm(ActionForm):
    action = Action.ADD_PROGRESS
    title = Action.ADD_PROGRESS.label
    note = _text(gettext_lazy("What was done"))
    photos = PhotosField(label=gettext_lazy("Photos"))

    def perform(self):
        actions.add_progress(
            self.case,
            actor=self.user,
            note=self.cleaned_data["note"],
            photos_=self.cleaned_data["photos"],
            expected_version=self.version,
        )


class ResolveForm(ActionForm):
    action = Action.RESOLVE
    title = Action.RESOLVE.label
    result = _text(gettext_lazy("result"), rows=3)
    photos = PhotosField(label=gettext_lazy("Photo of the result"))

    def perform(self):
        actions.resolve(
            self.case,
            actor=self.user,
            result=self.cleaned_data["result"],
            photos_=self.cleaned_data["photos"],
            expected_version=self.version,
        )


class ReturnForm(ActionForm):
    action = Action.RETURN
    title = Action.RETURN.label
    reason = _text(gettext_lazy("why it is not ours"))

    def perform(self):
        actions.return_case(
            self.case,
            actor=self.user,
            reason=self.cleaned_data["reason"],
            expected_version=self.version,
        )


class ReviewReturnForm(ActionForm):
    action = Action.REVIEW_RETURN
    title = Action.REVIEW_RETURN.label
    decision = forms.ChoiceField(
        label=gettext_lazy("decision"),
        choices=[
            ("uphold", gettext_lazy("uphold: send it to another unit")),
            ("reject", gettext_lazy("reject: back to the unit that returned it")),
        ],
        widget=forms.RadioSelect,
    )
    target = forms.ChoiceField(label=gettext_lazy("send to"), required=False)
    note = _text(NOTE, required=False)

    def setup(self):
        auto = [("", _("the level above, or by the routing rules"))]
        self.fields["target"].choices = auto + self.page.target_choices(exclude_current=True)

    def perform(self):
        uphold = self.cleaned_data["decision"] == "uphold"
        kwargs = _target_kwargs(self.cleaned_data["target"]) if uphold else {}
        actions.review_return(
            self.case,
            actor=self.user,
            uphold=uphold,
            note=self.cleaned_data["note"],
            expected_version=self.version,
            **kwargs,
        )


class TransferForm(ActionForm):
    action = Action.TRANSFER
    title = Action.TRANSFER.label
    target = forms.ChoiceField(label=gettext_lazy("send to"))
    note = _text(gettext_lazy("why"))

    def setup(self):
        self.fields["target"].choices = [("", "—"), *self.page.target_choices(exclude_current=True)]

    def perform(self):
        actions.transfer(
            self.case,
            actor=self.user,
            note=self.cleaned_data["note"],
            expected_version=self.version,
            **_target_kwargs(self.cleaned_data["target"]),
        )


class EscalateForm(ActionForm):
    action = Action.ESCALATE
    title = Action.ESCALATE.label
    note = _text(gettext_lazy("Why it needs the level above"))

    def perform(self):
        actions.escalate(
            self.case,
            actor=self.user,
            note=self.cleaned_data["note"],
            expected_version=self.version,
        )


class RequestExtensionForm(ActionForm):
    action = Action.REQUEST_EXTENSION
    title = Action.REQUEST_EXTENSION.label
    working_days = forms.IntegerField(
        label=gettext_lazy("extra working days"), min_value=1, max_value=30, initial=3
    )
    reason = _text(gettext_lazy("reason"))

    def perform(self):
        actions.request_extension(
            self.case,
            actor=self.user,
            working_days=self.cleaned_data["working_days"],
            reason=self.cleaned_data["reason"],
            expected_version=self.version,
        )


class DecideExtensionForm(ActionForm):
    action = Action.DECIDE_EXTENSION
    title = Action.DECIDE_EXTENSION.label
    decision = forms.ChoiceField(
        label=gettext_lazy("decision"),
        choices=[("approve", gettext_lazy("approve")), ("refuse", gettext_lazy("refuse"))],
        widget=forms.RadioSelect,
    )
    note = _text(NOTE, required=False)

    def perform(self):
        actions.decide_extension(
            self.case,
            actor=self.user,
            approve=self.cleaned_data["decision"] == "approve",
            note=self.cleaned_data["note"],
            expected_version=self.version,
        )


class JointUnitForm(ActionForm):
    action = Action.ADD_JOINT_UNIT
    title = Action.ADD_JOINT_UNIT.label
    target = forms.ChoiceField(label=gettext_lazy("unit"))
    role = forms.ChoiceField(
        label=gettext_lazy("role"),
        choices=JointRole.choices,
        initial=JointRole.SUPPORT,
        widget=forms.RadioSelect,
    )
    note = _text(NOTE, required=False)

    def setup(self):
        self.fields["target"].choices = [("", "—"), *self.page.target_choices(exclude_current=True)]

    def perform(self):
        actions.add_joint_unit(
            self.case,
            actor=self.user,
            role=self.cleaned_data["role"],
            note=self.cleaned_data["note"],
            expected_version=self.version,
            **_target_kwargs(self.cleaned_data["target"]),
        )


class ReportInForm(ActionForm):
    action = Action.REPORT_IN
    title = Action.REPORT_IN.label
    unit = forms.TypedChoiceField(label=gettext_lazy("joint unit"), coerce=int)
    report = _text(gettext_lazy("your unit's part"), rows=3)

    def setup(self):
        mine = my_joint_units(self.user, self.page.situation.joint_units)
        self.fields["unit"].choices = [(u.pk, str(u)) for u in mine]
        if len(mine) == 1:
            self.fields["unit"].initial = mine[0].pk

    def perform(self):
        actions.report_in(
            self.case,
            actor=self.user,
            unit=self.cleaned_data["unit"],
            report=self.cleaned_data["report"],
            expected_version=self.version,
        )


class CallbackForm(ActionForm):
    action = Action.CALLBACK
    title = Action.CALLBACK.label
    method = forms.ChoiceField(
        label=gettext_lazy("how"),
        choices=[
            (CallbackMethod.PHONE, CallbackMethod.PHONE.label),
            (CallbackMethod.NO_ANSWER, CallbackMethod.NO_ANSWER.label),
        ],
        initial=CallbackMethod.PHONE,
        widget=forms.RadioSelect,
    )
    solved = forms.TypedChoiceField(
        label=gettext_lazy("solved"),
        choices=[("1", gettext_lazy("Yes")), ("0", gettext_lazy("No"))],
        coerce=lambda v: v == "1",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    rating = forms.TypedChoiceField(
        label=gettext_lazy("rating"),
        choices=Rating.choices,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    comment = _text(gettext_lazy("comment"), required=False, max_length=1000)

    def perform(self):
        d = self.cleaned_data
        actions.callback(
            self.case,
            actor=self.user,
            method=d["method"],
            solved=d["solved"],
            rating=d["rating"],
            comment=d["comment"],
            expected_version=self.version,
        )


class NotAcceptedForm(ActionForm):
    action = Action.NOT_ACCEPTED
    title = Action.NOT_ACCEPTED.label
    reason = _text(gettext_lazy("reason"))

    def perform(self):
        actions.not_accepted(
            self.case,
            actor=self.user,
            reason=self.cleaned_data["reason"],
            expected_version=self.version,
        )


class MergeForm(ActionForm):
    action = Action.MERGE
    title = Action.MERGE.label
    master = forms.CharField(label=gettext_lazy("master case number"), max_length=16)
    note = _text(NOTE, required=False)

    def clean_master(self) -> int:
        number = self.cleaned_data["master"].strip()
        found = (
            Case.objects.visible_to(self.user)
            .filter(number=number)
            .values_list("pk", flat=True)
            .first()
        )
        if found is None:
            raise ValidationError(_("No case with this number."))
        return found

    def perform(self):
        actions.merge(
            self.case,
            actor=self.user,
            master=self.cleaned_data["master"],
            note=self.cleaned_data["note"],
            expected_version=self.version,
        )


class ArchiveForm(ActionForm):
    action = Action.ARCHIVE
    title = Action.ARCHIVE.label
    note = _text(NOTE, required=False, rows=1)

    def perform(self):
        actions.archive(
            self.case,
            actor=self.user,
            note=self.cleaned_data["note"],
            expected_version=self.version,
        )


class MaliciousForm(ActionForm):
    """Mark the case malicious or invalid (it leaves the KPIs), or clear the mark."""

    action = SET_MALICIOUS
    title = gettext_lazy("mark malicious")
    reason = _text(gettext_lazy("reason"))

    def setup(self):
        if self.case.is_malicious:
            self.fields["reason"].required = False
            self.fields["reason"].label = NOTE

    @property
    def label(self) -> str:
        if self.case.is_malicious:
            return str(_("clear the malicious mark"))
        return str(self.title)

    def perform(self):
        # set_malicious takes no version; the same check, under the same row lock, here.
        with transaction.atomic():
            locked = Case.objects.select_for_update().only("version").get(pk=self.case.pk)
            if locked.version != self.version:
                raise ValidationError({"expected_version": _("Someone acted first.")})
            actions.set_malicious(
                self.case,
                actor=self.user,
                malicious=not self.case.is_malicious,
                note=self.cleaned_data["reason"],
            )


FORMS: dict[str, type[ActionForm]] = {
    f.action: f
    for f in (
        DispatchForm,
        SignForForm,
        ContactForm,
        StartForm,
        ProgressForm,
        ResolveForm,
        ReturnForm,
        ReviewReturnForm,
        TransferForm,
        EscalateForm,
        RequestExtensionForm,
        DecideExtensionForm,
        JointUnitForm,
        ReportInForm,
        CallbackForm,
        NotAcceptedForm,
        MergeForm,
        ArchiveForm,
        MaliciousForm,
    )
}
