"""The party organisation, one line in five links: street 大工委 → community 大党委 → grid or
estate branch 党支部 → building party group 党小组 → party members, each keeping 3–10 contact
households (联系户). Units and in-service members report to their home community (双报到);
committees take concurrent members 兼职委员 from units; branches, owners' committees and property
companies share members (红色物业 / 红色业委会).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel

MAX_CONTACT_HOUSEHOLDS = 10
MIN_CONTACT_HOUSEHOLDS = 3


class PartyOrgKind(models.TextChoices):
    WORKING_COMMITTEE = "working_committee", _("street working committee (大工委)")
    COMMUNITY_COMMITTEE = "community_committee", _("community party committee (大党委)")
    BRANCH = "branch", _("party branch")
    GROUP = "group", _("building party group")


# The area kinds each organisation sits on, and the kind of organisation above it.
ORG_AREA_KINDS: dict[str, set[str]] = {
    PartyOrgKind.WORKING_COMMITTEE: {"street"},
    PartyOrgKind.COMMUNITY_COMMITTEE: {"community"},
    PartyOrgKind.BRANCH: {"grid", "estate"},
    PartyOrgKind.GROUP: {"building"},
}
ORG_PARENT_KIND: dict[str, str | None] = {
    PartyOrgKind.WORKING_COMMITTEE: None,
    PartyOrgKind.COMMUNITY_COMMITTEE: PartyOrgKind.WORKING_COMMITTEE,
    PartyOrgKind.BRANCH: PartyOrgKind.COMMUNITY_COMMITTEE,
    PartyOrgKind.GROUP: PartyOrgKind.BRANCH,
}


class PartyOrg(TimeStampedModel):
    """A party organisation attached to one area of the tree."""

    written_by = "grids.actions"

    kind = models.CharField(_("kind"), max_length=20, choices=PartyOrgKind.choices)
    name = models.CharField(_("name"), max_length=120)
    area = models.ForeignKey(
        "grids.Area", on_delete=models.PROTECT, related_name="party_orgs", verbose_name=_("area")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("higher organisation"),
    )
    secretary = models.CharField(_("secretary"), max_length=60, blank=True)
    founded_on = models.DateField(_("founded on"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "area"

    class Meta:
        verbose_name = _("party organisation")
        verbose_name_plural = _("party organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "kind"],
                name="grids_partyorg_one_per_area_and_kind",
                violation_error_message=_("This area already has an organisation of that kind."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.area_id and self.area.kind not in ORG_AREA_KINDS.get(self.kind, set()):
            raise ValidationError(
                {
                    "area": _("A %(kind)s cannot sit on a %(area)s.")
                    % {"kind": self.get_kind_display(), "area": self.area.get_kind_display()}
                }
            )
        if self.parent_id and self.parent is not None:
            if self.parent.kind != ORG_PARENT_KIND.get(self.kind):
                raise ValidationError({"parent": _("The higher organisation has the wrong kind.")})
            if not self.area.path.startswith(self.parent.area.path):
                raise ValidationError(
                    {"parent": _("The higher organisation must sit above this one's area.")}
                )


class MemberKind(models.TextChoices):
    LOCAL = "local", _("member of a local branch")
    IN_SERVICE = "in_service", _("in-service member reporting to the community (双报到)")


class PartyMember(TimeStampedModel):
    """A party member. `area` is where they belong in the territory: their branch's area, or
    the home community they reported to; the scope follows it."""

    written_by = "grids.actions"

    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(
        _("kind"), max_length=12, choices=MemberKind.choices, default=MemberKind.LOCAL
    )
    area = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="party_members",
        verbose_name=_("area"),
    )
    branch = models.ForeignKey(
        PartyOrg,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("branch"),
    )
    resident = models.OneToOneField(
        "grids.Resident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="party_member",
        verbose_name=_("resident"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="party_member",
        verbose_name=_("account"),
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    workplace = models.ForeignKey(
        "grids.CoBuildingUnit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_members",
        verbose_name=_("workplace unit"),
    )
    workplace_name = models.CharField(_("workplace"), max_length=120, blank=True)
    reported_on = models.DateField(_("reported on"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "area"

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        indexes = [models.Index(fields=["area", "kind"], name="grids_partymember_area_kind")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="local", branch__isnull=False)
                | Q(kind="in_service", reported_on__isnull=False),
                name="grids_partymember_branch_or_report",
                violation_error_message=_(
                    "A local member needs a branch; an in-service member a report date."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name


class ContactHousehold(TimeStampedModel):
    """A household a party member keeps in touch with (党员联系户).

    Each link takes one of the member's ten numbered slots: the check and unique constraints
    make an eleventh household impossible in the database itself."""

    written_by = "grids.actions"

    member = models.ForeignKey(
        PartyMember,
        on_delete=models.CASCADE,
        related_name="contacts",
        verbose_name=_("party member"),
    )
    household = models.ForeignKey(
        "grids.Household",
        on_delete=models.CASCADE,
        related_name="party_contacts",
        verbose_name=_("household"),
    )
    slot = models.PositiveSmallIntegerField(_("slot"), editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "household__building"

    class Meta:
        verbose_name = _("contact household")
        verbose_name_plural = _("contact households")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "household"],
                name="grids_contact_once",
                violation_error_message=_("This member already keeps in touch with it."),
            ),
            models.UniqueConstraint(fields=["member", "slot"], name="grids_contact_slot_once"),
            models.CheckConstraint(
                condition=Q(slot__gte=1, slot__lte=MAX_CONTACT_HOUSEHOLDS),
                name="grids_contact_at_most_ten",
                violation_error_message=_("A party member keeps at most 10 households."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.household}"


class ConcurrentMember(TimeStampedModel):
    """A concurrent member (兼职委员) of a 大工委 or 大党委, from a unit based in the area."""

    written_by = "grids.actions"

    party_org = models.ForeignKey(
        PartyOrg,
        on_delete=models.CASCADE,
        related_name="concurrent_members",
        verbose_name=_("committee"),
        limit_choices_to={"kind__in": ["working_committee", "community_committee"]},
    )
    name = models.CharField(_("name"), max_length=60)
    unit = models.ForeignKey(
        "grids.CoBuildingUnit",
        on_delete=models.PROTECT,
        related_name="concurrent_members",
        verbose_name=_("unit"),
    )
    position = models.CharField(_("position in the unit"), max_length=60, blank=True)
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "party_org__area"

    class Meta:
        verbose_name = _("concurrent committee member")
        verbose_name_plural = _("concurrent committee members")

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


class EstateBodyKind(models.TextChoices):
    OWNERS_COMMITTEE = "owners_committee", _("owners' committee")
    PROPERTY_COMPANY = "property_company", _("property company")


class EstateBody(TimeStampedModel):
    """An estate's owners' committee or property company."""

    kind = models.CharField(_("kind"), max_length=20, choices=EstateBodyKind.choices)
    name = models.CharField(_("name"), max_length=120)
    estate = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="estate_bodies",
        verbose_name=_("estate"),
        limit_choices_to={"kind": "estate"},
    )

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "estate"

    class Meta:
        verbose_name = _("owners' committee or property company")
        verbose_name_plural = _("owners' committees and property companies")

    def __str__(self) -> str:
        return self.name


class CrossPosting(TimeStampedModel):
    """红色物业 / 红色业委会: a party member sitting on an owners' committee or in a property
    company ("双向进入、交叉任职")."""

    written_by = "grids.actions"

    member = models.ForeignKey(
        PartyMember,
        on_delete=models.CASCADE,
        related_name="cross_postings",
        verbose_name=_("party member"),
    )
    body = models.ForeignKey(
        EstateBody, on_delete=models.CASCADE, related_name="postings", verbose_name=_("body")
    )
    position = models.CharField(_("position"), max_length=60)
    starts_on = models.DateField(_("from"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "body__estate"

    class Meta:
        verbose_name = _("cross-posting")
        verbose_name_plural = _("cross-postings")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "body"],
                name="grids_crossposting_once",
                violation_error_message=_("This member already sits there."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.body} · {self.position}"
