"""Who may file cases through Open311 (an API key per external system) and what each request
filed that way carries beyond the case (its token, its media URL and how fetching it went).

Rows change only through open311.actions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models.roles import Role
from services.choices import Channel
from services.models.catalogue import CITY_WIDE_ROLES, CityWideQuerySet

KEY_ROLES = {
    # Keys let outside systems file cases for the whole city or a district: city staff issue
    # and revoke them, like the other city-wide settings.
    "view": frozenset({Role.CITY_STAFF}),
    "add": frozenset({Role.CITY_STAFF}),
    "change": frozenset({Role.CITY_STAFF}),
    "delete": frozenset(),
}


class ApiKeyQuerySet(models.QuerySet):
    def visible_to(self, user) -> models.QuerySet:
        from grids.scope import may

        return self.all() if may(user, "view", self.model) else self.none()

    def changeable_by(self, user) -> models.QuerySet:
        from grids.scope import may

        return self.all() if may(user, "change", self.model) else self.none()


class ApiKey(models.Model):
    """One external system's key (FixMyStreet, a city app, a kiosk vendor).

    Only a hash of the key is stored; the key itself is shown once, when it is issued. The
    system files as its own account (`account`: the reporter of what it files, so it reads
    those cases whole), on one channel (checked by services.actions.intake_rights for that
    account), inside one area subtree (`area`; empty: the whole city)."""

    written_by = "open311.actions"

    name = models.CharField(_("external system"), max_length=100)
    prefix = models.CharField(_("key begins with"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="open311_keys",
        verbose_name=_("account it files as"),
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.RESIDENT_WEB
    )
    area = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="open311_keys",
        verbose_name=_("area"),
        help_text=_("Files and reads inside this area only; empty: the whole city."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    objects = ApiKeyQuerySet.as_manager()
    scope_roles = KEY_ROLES

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["key_hash"], name="open311_apikey_hash_unique"),
            models.CheckConstraint(
                condition=Q(is_active=True, revoked_at__isnull=True)
                | Q(is_active=False, revoked_at__isnull=False),
                name="open311_apikey_revoked_iff_inactive",
                violation_error_message=_("A revoked key is inactive, an active key not revoked."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class MediaState(models.TextChoices):
    NONE = "", _("no media")
    PENDING = "pending", _("waiting to be fetched")
    SAVED = "saved", _("photo saved")
    REFUSED = "refused", _("media refused")


class Submission(models.Model):
    """One case filed through Open311: the key that filed it, the token answered with it, and
    the `media_url` the task fetches (and what came of it)."""

    written_by = "open311.actions"

    case = models.OneToOneField(
        "services.Case", on_delete=models.CASCADE, related_name="open311", verbose_name=_("case")
    )
    key = models.ForeignKey(
        ApiKey, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("key")
    )
    token = models.CharField(_("token"), max_length=32)
    account_id = models.CharField(_("account id"), max_length=100, blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    media_state = models.CharField(
        _("media"), max_length=8, choices=MediaState.choices, default=MediaState.NONE, blank=True
    )
    media_error = models.CharField(_("media error"), max_length=200, blank=True)
    # The client's name for this filing: the `Idempotency-Key` header, else FixMyStreet's
    # `attribute[fixmystreet_id]` ("fms:<id>"). A retried POST with it answers the case
    # already filed; the constraint below makes two at once file one case.
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, blank=True)
    # `attribute[code]` answers as sent (checked against ServiceAttribute): code → value or values.
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("filed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 submission")
        verbose_name_plural = _("Open311 submissions")
        constraints = [
            models.UniqueConstraint(fields=["token"], name="open311_submission_token_unique"),
            models.UniqueConstraint(
                fields=["key", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="open311_submission_idempotency_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.token


class Datatype(models.TextChoices):
    """GeoReport v2's attribute datatypes."""

    STRING = "string", _("short text")
    NUMBER = "number", _("number")
    DATETIME = "datetime", _("date and time")
    TEXT = "text", _("long text")
    SINGLE = "singlevaluelist", _("one of a list")
    MULTI = "multivaluelist", _("several of a list")


LIST_DATATYPES = (Datatype.SINGLE, Datatype.MULTI)


class ServiceAttribute(models.Model):
    """An extra question a category asks of an Open311 filer (a service definition's
    `attribute`): the spec's code, datatype, required, order, description and, for the list
    datatypes, the values ([{"key": …, "name": …}, …]). A city-wide catalogue edited in the
    admin like the categories themselves; a required one missing from a POST is refused."""

    category = models.ForeignKey(
        "services.Category",
        on_delete=models.CASCADE,
        related_name="open311_attributes",
        verbose_name=_("category"),
    )
    code = models.SlugField(_("code"), max_length=40)
    description = models.CharField(_("question"), max_length=200)
    datatype = models.CharField(
        _("datatype"), max_length=16, choices=Datatype.choices, default=Datatype.STRING
    )
    datatype_description = models.CharField(_("datatype description"), max_length=200, blank=True)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    values = models.JSONField(
        _("values"),
        default=list,
        blank=True,
        help_text=_('For the list datatypes: [{"key": "small", "name": "小于脸盆"}, …].'),
    )

    objects = CityWideQuerySet.as_manager()
    scope_roles = CITY_WIDE_ROLES

    class Meta:
        verbose_name = _("Open311 service attribute")
        verbose_name_plural = _("Open311 service attributes")
        ordering = ["category_id", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "code"],
                name="open311_attribute_code_unique",
                violation_error_message=_("This category already asks a question with that code."),
            ),
            # The spec's order is a positive integer.
            models.CheckConstraint(
                condition=Q(order__gte=1),
                name="open311_attribute_order_positive",
                violation_error_message=_("The order starts at 1."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category_id}:{self.code}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        listed = self.datatype in LIST_DATATYPES
        values = self.values or []
        if listed and not values:
            raise ValidationError({"values": _("A list question needs its values.")})
        if not listed and values:
            raise ValidationError({"values": _("Only the list datatypes take values.")})
        ok = isinstance(values, list) and all(
            isinstance(v, dict) and set(v) == {"key", "name"} and str(v["key"]) for v in values
        )
        if not ok:
            raise ValidationError({"values": _('Each value is {"key": …, "name": …}.')})
