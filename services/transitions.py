"""One entry point for "do this transition" from the admin forms and the REST API.

`perform(case, action, actor, data, files)` parses plain form/JSON values for the action,
calls the matching function in services.actions and lets its ValidationError through. The
field list per action (FIELDS) also drives the admin's action forms and the API schema."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.text import clean_text
from services import actions
from services.choices import Action, CallbackMethod, JointRole, Level, Rating
from services.limits import CASE_NUMBER_MAX, COMMENT_MAX, NOTE_MAX, RESULT_MAX
from services.models import Case

# The longest text each text field takes: the same as the phone pages' forms.
TEXT_LIMITS = {"result": RESULT_MAX, "comment": COMMENT_MAX}

# action → [(field, kind, label)]; kind: text, int, bool, choice:<name>, fk:<model>
FIELDS: dict[str, list[tuple[str, str, object]]] = {
    Action.DISPATCH: [("note", "text", gettext_lazy("note"))],
    Action.SIGN_FOR: [("note", "text", gettext_lazy("note"))],
    Action.RECORD_CONTACT: [("note", "text", gettext_lazy("how the resident was contacted"))],
    Action.START: [("note", "text", gettext_lazy("note"))],
    Action.ADD_PROGRESS: [("note", "text", gettext_lazy("progress"))],
    Action.RESOLVE: [("result", "text", gettext_lazy("result"))],
    Action.RETURN: [("reason", "text", gettext_lazy("reason"))],
    Action.REVIEW_RETURN: [
        ("uphold", "bool", gettext_lazy("uphold the return and re-dispatch")),
        ("department", "fk:department", gettext_lazy("to department")),
        ("level", "choice:level", gettext_lazy("or to level")),
        ("note", "text", gettext_lazy("note")),
    ],
    Action.TRANSFER: [
        ("department", "fk:department", gettext_lazy("to department")),
        ("level", "choice:level", gettext_lazy("or to level")),
        ("note", "text", gettext_lazy("note")),
    ],
    Action.ESCALATE: [("note", "text", gettext_lazy("note"))],
    Action.REQUEST_EXTENSION: [
        ("working_days", "int", gettext_lazy("extra working days")),
        ("reason", "text", gettext_lazy("reason")),
    ],
    Action.DECIDE_EXTENSION: [
        ("approve", "bool", gettext_lazy("approve")),
        ("note", "text", gettext_lazy("note")),
    ],
    Action.ADD_JOINT_UNIT: [
        ("department", "fk:department", gettext_lazy("department")),
        ("role", "choice:joint_role", gettext_lazy("role")),
        ("note", "text", gettext_lazy("note")),
    ],
    Action.REPORT_IN: [
        ("unit", "int", gettext_lazy("joint unit")),
        ("report", "text", gettext_lazy("your unit's part")),
    ],
    Action.MERGE: [
        ("master", "text", gettext_lazy("master case number")),
        ("note", "text", gettext_lazy("note")),
    ],
    Action.NOT_ACCEPTED: [("reason", "text", gettext_lazy("reason"))],
    Action.CALLBACK: [
        ("solved", "bool", gettext_lazy("solved")),
        ("rating", "choice:rating", gettext_lazy("rating")),
        ("comment", "text", gettext_lazy("comment")),
        ("method", "choice:method", gettext_lazy("how")),
    ],
    Action.ARCHIVE: [("note", "text", gettext_lazy("note"))],
}

CHOICES = {
    "level": Level.choices,
    "joint_role": JointRole.choices,
    "rating": Rating.choices,
    "method": CallbackMethod.choices,
}

_FUNCTIONS: dict[str, str] = {Action.RETURN: "return_case"}


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "on", "yes")


def _int(name: str, value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError({name: _("Enter a whole number.")}) from exc


def _master(value, actor) -> int:
    value = clean_text(value, field="master", max_length=CASE_NUMBER_MAX)
    if not value:
        raise ValidationError({"master": _("Enter the master case number.")})
    qs = Case.objects.visible_to(actor) if actor is not None else Case.objects.all()
    found = qs.filter(number=value).values_list("pk", flat=True).first()
    if found is None and value.isdigit() and len(value) < 13:
        found = qs.filter(pk=int(value)).values_list("pk", flat=True).first()
    if found is None:
        raise ValidationError({"master": _("No such case.")})
    return found


def perform(case: Case | int, action: str, actor, data: dict, files=None) -> Case:
    """Run `action` on the case with values from a form or JSON body."""
    if action not in FIELDS:
        raise ValidationError({"action": _("Unknown action.")})
    kwargs: dict = {"expected_version": _int("expected_version", data.get("expected_version"))}
    for name, kind, _label in FIELDS[action]:
        value = data.get(name)
        if kind == "bool":
            kwargs[name] = _bool(value) if value is not None else False
        elif kind == "int" or kind.startswith("fk:") or name == "rating":
            kwargs[name] = _int(name, value)
        elif name == "master":
            kwargs[name] = _master(value, actor)
        elif kind.startswith("choice:"):
            if value:
                kwargs[name] = value
        else:
            # One input rule for every text (portal.text): no control characters, the
            # form's length limit; a bad one is a 400 naming the field, never a 500.
            kwargs[name] = clean_text(
                value, field=name, max_length=TEXT_LIMITS.get(name, NOTE_MAX), multiline=True
            )
    if action == Action.CALLBACK:
        kwargs["solved"] = _bool(data["solved"]) if data.get("solved") not in (None, "") else None
        kwargs.setdefault("method", CallbackMethod.PHONE)
    if action == Action.ADD_JOINT_UNIT:
        kwargs.setdefault("role", JointRole.SUPPORT)
    if action in (Action.TRANSFER, Action.REVIEW_RETURN, Action.ADD_JOINT_UNIT):
        kwargs = {k: v for k, v in kwargs.items() if v is not None or k == "expected_version"}
    if action == Action.RESOLVE and files:
        kwargs["photos_"] = files
    if action == Action.ADD_PROGRESS and files:
        kwargs["photos_"] = files
    if action == Action.REQUEST_EXTENSION and kwargs.get("working_days") is None:
        raise ValidationError({"working_days": _("Enter the number of working days.")})
    if action == Action.REPORT_IN and kwargs.get("unit") is None:
        raise ValidationError({"unit": _("Choose the joint unit.")})
    fn = getattr(actions, _FUNCTIONS.get(action, str(action)))
    result = fn(case, actor=actor, **kwargs)
    case_id = case.pk if isinstance(case, Case) else case
    return result if isinstance(result, Case) else Case.objects.get(pk=case_id)
