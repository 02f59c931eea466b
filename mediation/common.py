"""Helpers of the mediation pages: who is a mediation user, and errors as one message."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404

from grids.scope import scope_for
from mediation.models import Mediator


def messages_of(exc: ValidationError) -> str:
    """A refusal as one sentence for people (field names left out: the message names it)."""
    if hasattr(exc, "message_dict"):
        parts = [m for msgs in exc.message_dict.values() for m in msgs]
    else:
        parts = list(exc.messages)
    return " ".join(str(p) for p in parts)


def form_errors(form) -> str:
    out = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        out += [f"{label}: {e}" if label else str(e) for e in errors]
    return " ".join(out)


def require_desk_user(user) -> None:
    """The desk pages are for staff and for mediators (a lawyer from a unit); anyone else
    gets a 404, as if the pages did not exist."""
    scope = scope_for(user)
    if scope.is_staff and scope.is_territorial:
        return
    if user.is_authenticated and Mediator.objects.filter(user_id=user.pk).exists():
        return
    raise Http404
