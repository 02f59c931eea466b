"""The one write path, enforced in the admin.

A model whose rows only domain operations may change says so with a class attribute naming the
module that holds those operations::

    class Booking(models.Model):
        written_by = "centres.actions"

Every admin of such a model (and every inline showing it) is read-only: add, change and delete
are off, whatever the user's role, unless the admin class wires that verb to an operation of
that module by naming it::

    class BookingAdmin(ScopedAdmin):
        change_via = "decide_booking"     # and overrides save_model to call it
        delete_via = "cancel_booking"     # and overrides delete_model / delete_queryset

`tests/portal/test_write_path.py` walks every registered admin and fails when a verb is open
without a named operation that exists, or without the override that calls it. Admin actions
(the drop-down on a changelist) are the other way staff reach operations; they need no verb.
"""

from __future__ import annotations

from django.db.models import Model

from portal.text import TextAdminMixin

VERBS = ("add", "change", "delete")


def written_by(model: type[Model] | None) -> str | None:
    """The actions module that owns this model's writes, or None for a catalogue/register."""
    return getattr(model, "written_by", None) if model is not None else None


class WritePathMixin(TextAdminMixin):
    """Mixed into every admin (ScopedAdminMixin carries it; catalogue admins inherit it too).
    It brings the input rule along (portal.text.TextAdminMixin: every text field of every
    admin form is checked the same way).

    Verbs stay as Django decides for catalogues; for a model with domain operations each verb is
    off unless `<verb>_via` names the operation the admin calls for it."""

    model: type[Model]  # given by ModelAdmin / InlineModelAdmin, which this is mixed into
    add_via: str | None = None
    change_via: str | None = None
    delete_via: str | None = None

    def _wired(self, verb: str) -> bool:
        return written_by(self.model) is None or bool(getattr(self, f"{verb}_via"))

    def has_add_permission(self, request, *args):
        # Inlines take (request, obj); model admins take (request).
        return self._wired("add") and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._wired("change") and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._wired("delete") and super().has_delete_permission(request, obj)
