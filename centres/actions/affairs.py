"""One-stop affairs (事有所办): appointments in slots and what came of them."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from centres.actions.common import _require_staff, _span, is_centre_staff
from centres.models import (
    AffairChannel,
    AffairItem,
    Appointment,
    AppointmentSlot,
    AppointmentStatus,
)
from centres.people import person_for_user

# --- affairs (事有所办) ---------------------------------------------------------------------------


def book_appointment(
    slot: AppointmentSlot | int,
    *,
    actor,
    item: AffairItem,
    channel: str = AffairChannel.AT_CENTRE,
    now: datetime | None = None,
) -> Appointment:
    """Book an affairs appointment in a slot (off-hours slots included)."""
    now = now or timezone.now()
    if actor is None or not actor.is_authenticated:
        raise ValidationError({"user": _("Log in to make an appointment.")})
    if item is None or not item.is_active:
        raise ValidationError({"item": _("Choose a service item.")})
    if channel not in item.channels() or channel == AffairChannel.ONLINE:
        raise ValidationError({"channel": _("This item cannot be handled that way.")})
    with transaction.atomic():
        slot = (
            AppointmentSlot.objects.select_for_update(of=("self",))
            .select_related("centre__community")
            .get(pk=getattr(slot, "pk", slot))
        )
        if slot.starts_at <= now:
            raise ValidationError({"slot": _("That time has passed.")})
        if not AffairItem.objects.offered_at(slot.centre).filter(pk=item.pk).exists():
            raise ValidationError({"item": _("This item is not handled at this centre.")})
        person = person_for_user(actor)
        item.check_eligible(person, slot.centre, field="item")
        if slot.appointments.filter(
            user=actor, item=item, status=AppointmentStatus.BOOKED
        ).exists():
            raise ValidationError({"slot": _("You already have this appointment.")})
        if slot.booked_count >= slot.capacity:
            raise ValidationError(
                {
                    "slot": _("The slot %(span)s is full.")
                    % {"span": _span(slot.starts_at, slot.ends_at)}
                }
            )
        appointment = Appointment.objects.create(
            slot=slot, item=item, channel=channel, user=actor, name=person.name
        )
        slot.booked_count += 1
        slot.save(update_fields=["booked_count"])
    return appointment


def cancel_appointment(appointment: Appointment | int, *, actor) -> Appointment:
    with transaction.atomic():
        slot_id = Appointment.objects.values_list("slot_id", flat=True).get(
            pk=getattr(appointment, "pk", appointment)
        )
        slot = (
            AppointmentSlot.objects.select_for_update(of=("self",))
            .select_related("centre__community")
            .get(pk=slot_id)
        )
        appointment = Appointment.objects.get(pk=getattr(appointment, "pk", appointment))
        if appointment.user_id != getattr(actor, "pk", None) and not is_centre_staff(
            actor, slot.centre
        ):
            raise ValidationError({"appointment": _("No such appointment.")})
        if appointment.status != AppointmentStatus.BOOKED:
            raise ValidationError({"appointment": _("This appointment is no longer open.")})
        appointment.status = AppointmentStatus.CANCELLED
        appointment.save(update_fields=["status", "updated_at"])
        slot.booked_count -= 1
        slot.save(update_fields=["booked_count"])
    return appointment


def record_appointment(
    appointment: Appointment | int,
    *,
    actor,
    status: str,
    outcome: str = "",
    acting_for: str = "",
    consent: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Staff record what came of an appointment: handled, referred on or no-show; for proxy
    handling (帮代办) whom they acted for and how that person consented."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("slot__centre__community")
            .get(pk=getattr(appointment, "pk", appointment))
        )
        _require_staff(actor, appointment.slot.centre)
        validate_record(appointment, status, outcome, acting_for, consent)
        appointment.status = status
        appointment.outcome = outcome.strip()
        appointment.acting_for = acting_for.strip()
        appointment.consent = consent.strip()
        appointment.handled_by = actor
        appointment.handled_at = now
        appointment.save()
    return appointment


def validate_record(
    appointment: Appointment, status: str, outcome: str, acting_for: str, consent: str
) -> None:
    """The rules for recording an appointment (the admin form checks them before saving)."""
    if status not in (
        AppointmentStatus.DONE,
        AppointmentStatus.REFERRED,
        AppointmentStatus.NO_SHOW,
    ):
        raise ValidationError({"status": _("Choose handled, referred or did not come.")})
    if appointment.status != AppointmentStatus.BOOKED:
        raise ValidationError({"status": _("This appointment has already been recorded.")})
    if appointment.channel == AffairChannel.PROXY and status == AppointmentStatus.DONE:
        if not (acting_for or "").strip():
            raise ValidationError({"acting_for": _("Say whom you acted for.")})
        if not (consent or "").strip():
            raise ValidationError({"consent": _("Record how the person consented.")})
    if status != AppointmentStatus.NO_SHOW and not (outcome or "").strip():
        raise ValidationError({"outcome": _("Write down the outcome.")})
