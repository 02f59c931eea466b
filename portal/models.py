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


class LoginOutcome(models.TextChoices):
    SUCCESS = "success", _("logged in")
    FAILURE = "failure", _("wrong password or code")
    LOCKED = "locked", _("locked out")
    LOGOUT = "logout", _("logged out")


def security_account_ids(user) -> models.QuerySet | None:
    """The accounts whose logins `user` may read (the login log, lockouts): None meaning all
    (city staff, superusers), the ids of accounts holding a role in the subtree of a
    street/district/community staff member's office, or an empty queryset for anyone else."""
    from grids.models.roles import OFFICE_ROLES, Role, RoleAssignment
    from grids.scope import scope_for

    scope = scope_for(user)
    if scope.is_superuser or Role.CITY_STAFF in scope.roles:
        return None
    paths = [p for role in OFFICE_ROLES for p in scope.paths_by_role.get(role, ())]
    area = models.Q(pk__in=[])
    for path in paths:
        area |= models.Q(area__path__startswith=path)
    return RoleAssignment.objects.filter(area).values("user_id")


class LoginEventQuerySet(models.QuerySet):
    def visible_to(self, user) -> models.QuerySet:
        """City staff (and superusers) read the whole log; street, district and community
        staff the entries of accounts holding a role in their subtree; nobody else any."""
        ids = security_account_ids(user)
        return self.all() if ids is None else self.filter(user_id__in=ids)


class LoginEvent(models.Model):
    """The login log: one row per login, failed login, lockout and logout, on every door (the
    login pages, the admin, the phone-code login, the API token). Append-only: a trigger
    refuses UPDATE and the DELETE of rows younger than 180 days (migration 0003);
    `purge_login_log` removes rows past LINLI_LOGIN_LOG_DAYS."""

    written_by = "portal.security"  # its receivers append; nothing changes a row

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    outcome = models.CharField(_("login outcome"), max_length=10, choices=LoginOutcome.choices)
    username = models.CharField(_("account name typed"), max_length=150, blank=True)
    # No database foreign key: the log outlives the accounts it names.
    user = models.ForeignKey(
        User,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    door = models.CharField(_("login page"), max_length=100, blank=True)

    objects = LoginEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("login log entry")
        verbose_name_plural = _("login log")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["username", "at"], name="portal_loginevent_username"),
            models.Index(fields=["ip", "at"], name="portal_loginevent_ip"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.get_outcome_display()}"
