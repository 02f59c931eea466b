"""After handling, or instead of it: merge (并单), not accepted (不予受理), callback (回访) and
redo (重办), archive, malicious flag."""

from __future__ import annotations

import hmac

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from services.actions.core import (
    S,
    _begin,
    _commit,
    _event,
    _is_dispatcher,
    _lock,
    _notify,
    _notify_reporters,
    _now,
    _reporter_ids,
    _require,
    _start_clocks,
    _stop_all_clocks,
)
from services.actions.dispatch import _announce
from services.choices import (
    SATISFIED_RATINGS,
    Action,
    CallbackMethod,
)
from services.models import (
    Callback,
    Case,
    CaseFollower,
)

# --- merge, not accepted ------------------------------------------------------------------------------


@transaction.atomic
def merge(
    case: Case | int,
    *,
    actor,
    master: Case | int,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """并单: fold a repeat case into a master case; its reporter follows the master from now on.
    The master must be a different, not-merged case the actor can see."""
    case = _begin(case, Action.MERGE, expected_version)
    _require(_is_dispatcher(actor, case), _("Only a dispatcher merges cases."))
    master_id = master.pk if isinstance(master, Case) else master
    if master_id == case.pk:
        raise ValidationError({"master": _("A case cannot be merged into itself.")})
    target = Case.objects.select_for_update().filter(pk=master_id).first()
    if target is None or (
        actor is not None and not Case.objects.visible_to(actor).filter(pk=master_id).exists()
    ):
        raise ValidationError({"master": _("No such case.")})
    if target.state in (S.MERGED, S.ARCHIVED, S.NOT_ACCEPTED):
        raise ValidationError({"master": _("Merge into an open case.")})
    from_state = case.state
    case.state = S.MERGED
    case.master = target
    case.closed_at = _now()
    _stop_all_clocks(case)
    followers = set(_reporter_ids(case)) - {target.reporter_id}
    CaseFollower.objects.bulk_create(
        [CaseFollower(case=target, user_id=u) for u in followers], ignore_conflicts=True
    )
    _commit(case, Action.MERGE, actor, from_state, note, {"master": target.number})
    target.version += 1
    target.save(update_fields=["version", "updated_at"])
    _event(target, Action.MERGE, actor, target.state, note, {"merged": case.number}).save()
    _notify(
        case,
        followers,
        "merged",
        _("Your case %(number)s is handled together with %(master)s")
        % {"number": case.number, "master": target.number},
    )
    return case


@transaction.atomic
def not_accepted(case: Case | int, *, actor, reason: str, expected_version: int | None = None):
    """不予受理: the request is outside what the hotline handles; explained with a reason.
    It stays out of the KPIs when the exclusion rule says so."""
    case = _begin(case, Action.NOT_ACCEPTED, expected_version)
    _require(
        _is_dispatcher(actor, case) or (actor is not None and case.received_by_id == actor.pk),
        _("Only the receiver or a dispatcher decides this."),
    )
    if not reason.strip():
        raise ValidationError({"reason": _("Explain why the case is not accepted.")})
    from_state = case.state
    case.state = S.NOT_ACCEPTED
    case.not_accepted_reason = reason.strip()
    case.closed_at = _now()
    _stop_all_clocks(case)
    _commit(case, Action.NOT_ACCEPTED, actor, from_state, reason.strip())
    _notify_reporters(
        case,
        "not_accepted",
        _("About your case %(number)s") % {"number": case.number},
        reason.strip(),
    )
    return case


# --- callback, redo, archive ----------------------------------------------------------------------------


@transaction.atomic
def callback(
    case: Case | int,
    *,
    actor,
    solved: bool | None,
    rating: int | None,
    comment: str = "",
    method: str = CallbackMethod.PHONE,
    expected_version: int | None = None,
    tracking_token: str | None = None,
) -> Callback:
    """回访: solved? and a five-level rating. Unsolved or dissatisfied (不满意/非常不满意) →
    重办: the case goes back to the same unit with new clocks. No answer (method no_answer,
    recorded by the sweep after the wait) closes it without a rating.

    An anonymous reporter answers through their tracking link: `tracking_token` (the secret
    from the verified link) stands in for the account they do not have."""
    case = _begin(case, Action.CALLBACK, expected_version)
    reporter_ids = set(_reporter_ids(case))
    if method == CallbackMethod.RESIDENT:
        by_token = bool(
            tracking_token
            and case.tracking_token
            and hmac.compare_digest(str(tracking_token), str(case.tracking_token))
        )
        _require(
            by_token or (actor is not None and actor.pk in reporter_ids),
            _("Only the reporter answers for themselves."),
        )
    elif method == CallbackMethod.PHONE:
        _require(_is_dispatcher(actor, case), _("Only a dispatcher records phone callbacks."))
    elif method == CallbackMethod.NO_ANSWER:
        _require(actor is None or _is_dispatcher(actor, case))
    else:
        raise ValidationError({"method": _("Choose how the callback was made.")})
    if method != CallbackMethod.NO_ANSWER:
        errors = {}
        if solved is None:
            errors["solved"] = [_("Was the problem solved?")]
        if rating not in (1, 2, 3, 4, 5):
            errors["rating"] = [_("Choose a rating from very satisfied to very dissatisfied.")]
        if errors:
            raise ValidationError(errors)
    else:
        solved, rating = None, None
    now = _now()
    redo = method != CallbackMethod.NO_ANSWER and (not solved or rating not in SATISFIED_RATINGS)
    record = Callback.objects.create(
        case=case,
        method=method,
        solved=solved,
        rating=rating,
        comment=comment.strip(),
        by=actor if actor and actor.is_authenticated else None,
        at=now,
        led_to_redo=redo,
    )
    from_state = case.state
    case.called_back_at = now
    case.callback_solved = solved
    case.rating = rating
    if redo:
        case.redo_count += 1
        case.state = S.DISPATCHED
        case.resolved_at = None
        case.resolved_on_time = None
        case.card_level = 0
        _start_clocks(case, now, sign=True, contact=False, resolve=True)
        action_note = _("Redo: %(comment)s") % {
            "comment": comment.strip() or _("the resident is not satisfied")
        }
    else:
        case.state = S.CALLED_BACK
        case.closed_at = now
        action_note = comment.strip()
    _commit(
        case,
        Action.CALLBACK,
        actor,
        from_state,
        action_note,
        {"solved": solved, "rating": rating, "method": method, "redo": redo},
        now,
    )
    if redo:
        _announce(case, _("Case %(number)s must be redone") % {"number": case.number})
    return record


@transaction.atomic
def archive(
    case: Case | int, *, actor, note: str = "", expected_version: int | None = None
) -> Case:
    """归档: close the file on a called-back, not-accepted or merged case."""
    case = _begin(case, Action.ARCHIVE, expected_version)
    _require(_is_dispatcher(actor, case), _("Only a dispatcher archives cases."))
    from_state = case.state
    case.state = S.ARCHIVED
    case.closed_at = case.closed_at or _now()
    _commit(case, Action.ARCHIVE, actor, from_state, note)
    return case


@transaction.atomic
def set_malicious(case: Case | int, *, actor, malicious: bool, note: str = "") -> Case:
    """Mark a case malicious or invalid (it leaves the KPIs when the exclusion rule says so)."""
    case = _lock(case)
    _require(_is_dispatcher(actor, case), _("Only a dispatcher marks cases malicious."))
    case.is_malicious = malicious
    _commit(case, "mark_malicious", actor, case.state, note, {"malicious": malicious})
    return case
