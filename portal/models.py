"""The user model and the abstract bases every app's models build on."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Adds created/updated times; every domain model inherits it."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class User(AbstractUser):
    """A person who logs in: resident, grid worker, staff, operator, unit or superuser.

    What they may see and change is not on this row: it comes from their role assignments on
    the area tree (grids.RoleAssignment), read through grids.scope.
    """

    # Residents log in by phone number; stored once here, shown masked (grids.privacy).
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True, null=True, unique=True)
    display_name = models.CharField(_("name"), max_length=60, blank=True)
    elder_mode = models.BooleanField(_("elder mode"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class IdempotencyKey(models.Model):
    """One accepted submission, keyed by the client's idempotency key.

    Phones on poor signal resend a POST they never saw answered; the unique key makes the
    database accept the first and replay its result for every retry (see portal.idempotency).
    """

    key = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=80, help_text="the view that accepted it")
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(default=0)
    location = models.CharField(max_length=500, blank=True)
    body = models.TextField(blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    # The confirmation the first answer gave ({"level", "text"}), said again on a replay.
    messages = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")

    def __str__(self) -> str:
        return self.key
