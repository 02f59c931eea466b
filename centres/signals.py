"""Keep the cached part of the centre page fresh: a change to anything it shows moves the
centre's `updated_at`, which is part of the cache key (centres.views._centre_static).

Bulk writes (bulk_create, QuerySet.update) bypass signals; the seeds use them only while
creating centres, whose `updated_at` is new anyway."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from centres.models import (
    Centre,
    CentrePhoto,
    Function,
    OpeningHours,
    Operator,
    Service,
    Space,
)

CENTRE_PARTS = (Function, OpeningHours, Service, Space, CentrePhoto)


def touch(centre_ids) -> None:
    Centre.objects.filter(pk__in=centre_ids).update(updated_at=timezone.now())


def _part_changed(sender, instance, **kwargs) -> None:
    touch([instance.centre_id])


for model in CENTRE_PARTS:
    post_save.connect(_part_changed, sender=model, dispatch_uid=f"centres-touch-{model.__name__}")
    post_delete.connect(
        _part_changed, sender=model, dispatch_uid=f"centres-touch-del-{model.__name__}"
    )


@receiver(post_save, sender=Operator, dispatch_uid="centres-touch-operator")
def _operator_changed(sender, instance, **kwargs) -> None:
    # Service cards show the operator's name.
    touch(Service.objects.filter(operator=instance).values("centre_id"))
