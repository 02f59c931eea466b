"""What the resident and staff pages share: the status badge, the result table, and running
one step of a matter from a page."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deliberation.forms import put_back
from deliberation.models import Matter, MeetingKind, Outcome, Share, Source, Status

EVENTS = {  # noqa: RUF012
    "raised": gettext_lazy("raised"),
    "threshold": gettext_lazy("co-signers reached the threshold"),
    "accepted": gettext_lazy("taken up"),
    "declined": gettext_lazy("not taken up"),
    "meeting": gettext_lazy("meeting called"),
    "minutes": gettext_lazy("minutes recorded"),
    "plan_published": gettext_lazy("plan published"),
    "vote_opened": gettext_lazy("the vote opened"),
    "vote_closed": gettext_lazy("vote closed and counted"),
    "published": gettext_lazy("result published"),
    "progress": gettext_lazy("progress"),
    "done": gettext_lazy("carried out"),
}


def event_label(e) -> str:
    """A log entry in words: what happened, and its detail (a code translated where it is one)."""
    what = str(EVENTS.get(e.action, e.action))
    note = e.note
    if e.action == "vote_opened" and note.isdigit():
        note = _("%(n)s eligible") % {"n": note}
    elif e.action == "threshold" and note.isdigit():
        note = _("%(n)s co-signers") % {"n": note}
    for choices in (Source, Outcome, MeetingKind):
        if note in choices.values:
            note = str(choices(note).label)
            break
    return f"{what} · {note}" if note else what


def status_badge(m: Matter) -> dict:
    tone: dict[str, str] = {
        Status.VOTING: "yellow",
        Status.DONE: "ok",
        Status.EXECUTING: "ok",
        Status.DECLINED: "red",
    }
    tone_of = tone.get(m.status, "")
    label = str(m.get_status_display())
    if m.status == Status.DECIDED and m.outcome:
        label = str(Outcome(m.outcome).label)
    return {"tone": tone_of, "label": label}


def result_rows(m: Matter) -> list[tuple[str, str]]:
    """The published tally as (label, value) rows."""
    t = m.tally or {}
    if not t:
        return []
    rows = [
        (_("Outcome"), Outcome(t["outcome"]).label),
        (_("Eligible to vote"), str(t["eligible"])),
        (_("Took part"), str(t["voters"])),
        (_("In favour"), str(t["yes"])),
        (_("Against"), str(t["no"])),
        (_("Abstained"), str(t["abstain"])),
        (_("Quorum"), Share(t["quorum"]).label),
        (_("Majority"), Share(t["majority"]).label),
    ]
    if t.get("weighted"):
        rows[2:2] = [(_("Eligible floor area (m²)"), t["eligible_area"])]
        rows += [
            (_("Floor area taking part (m²)"), t["area"]),
            (_("Floor area in favour (m²)"), t["yes_area"]),
            (_("Floor area against (m²)"), t["no_area"]),
        ]
    return [(str(label), str(value)) for label, value in rows]


def perform(
    request: HttpRequest,
    matter: Matter,
    form,
    do: Callable[[Matter, dict], object],
    success: str,
    page: str,
    again: Callable[[], HttpResponse],
) -> HttpResponse:
    """One step of a matter from a page: the form's data to the operation; its refusal back on
    the form (or, for a step without a form, as a message on the page); on success a message
    and the matter's page (`page`, a URL name). An invalid form re-renders with `again`."""
    if form is None or form.is_valid():
        try:
            do(matter, form.cleaned_data if form is not None else {})
        except ValidationError as exc:
            if form is None:
                for msg in exc.messages:
                    messages.error(request, msg)
                return redirect(page, pk=matter.pk)
            put_back(form, exc)
        else:
            messages.success(request, success)
            return redirect(page, pk=matter.pk)
    return again()
