"""The case (a 12345 request), its timeline, photos, joint units, extensions and callbacks.

Every write goes through services.actions; these models only hold state and invariants."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models.roles import TERRITORIAL_ROLES, Role
from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel
from services.choices import (
    NOT_CLOSED_STATES,
    CallbackMethod,
    CaseType,
    Channel,
    ExtensionStatus,
    JointRole,
    Level,
    PhotoKind,
    Rating,
    Stage,
    State,
    Urgency,
)
from services.search import CaseWords

_NOTHING = Q(pk__in=[])


@models.BigAutoField.register_lookup
class AnyOf(models.Lookup):
    """`pk__any_of=<subquery>`: `pk = ANY(ARRAY(subquery))`. The array is computed once (an
    InitPlan) and is an index condition, so an OR of it with other indexed arms becomes a
    BitmapOr; `IN (subquery)` becomes a hashed SubPlan that forces a scan of every case
    (seconds at a million cases)."""

    lookup_name = "any_of"

    def get_prep_lookup(self):
        return self.rhs  # a queryset of one column

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        query = getattr(self.rhs, "query", self.rhs)
        rhs, rhs_params = compiler.compile(query)
        if not rhs.startswith("("):
            rhs = f"({rhs})"
        return f"{lhs} = ANY(ARRAY{rhs})", [*lhs_params, *rhs_params]


class CaseQuerySet(ScopedQuerySet):
    """Cases are visible to territorial staff by the place's subtree, to department handlers
    by the handling department (current or joint), and to the reporter and followers."""

    def _scope_q(self, user, action: str) -> Q:
        from grids.scope import scope_for

        scope = scope_for(user)
        if scope.is_superuser:
            return Q()
        q = _NOTHING
        for path in scope.area_paths:
            q |= Q(place_path__startswith=path)
        if scope.department_ids:
            q |= Q(handling_department_id__in=scope.department_ids)
            q |= Q(
                pk__any_of=JointUnit.objects.filter(department_id__in=scope.department_ids).values(
                    "case_id"
                )
            )
        if action == "view" and scope.user_id:
            own = (
                Q(reporter_id=scope.user_id)
                | Q(assignee_id=scope.user_id)
                | Q(pk__any_of=CaseFollower.objects.filter(user_id=scope.user_id).values("case_id"))
            )
            # Staff with a territory rarely report, hold or follow a case outside it. When
            # none exists (one indexed EXISTS), the territory alone is the answer, and the
            # inbox's count and list can run on the place_path and deadline indexes alone;
            # with the OR the database scanned rows instead.
            if not scope.area_paths or Case.objects.filter(own).exclude(q).exists():
                q |= own
        return q

    def visible_to(self, user) -> models.QuerySet:
        return self.filter(self._scope_q(user, "view"))

    def changeable_by(self, user) -> models.QuerySet:
        return self.filter(self._scope_q(user, "change"))

    def open(self) -> models.QuerySet:
        return self.filter(state__in=[State.DISPATCHED, State.SIGNED, State.IN_PROGRESS])


_STAFF = frozenset(TERRITORIAL_ROLES) | {Role.DEPARTMENT_HANDLER}


class CaseCounter(models.Model):
    """The last case number handed out on one day; one upsert per case, safe under concurrency."""

    written_by = "services.actions"

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("case number counter")
        verbose_name_plural = _("case number counters")

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class Case(TimeStampedModel):
    """A 12345 request: what, where, who reported it, who handles it now, and its clocks.

    Deadlines and timer-ladder markers live here (the database is the source of truth; the
    sweep in services.tasks reads `next_check_at`). `version` goes up on every transition so
    a stale form or API call is refused instead of overwriting someone else's step."""

    written_by = "services.actions"

    # Unique through Meta.constraints, not unique=True: that would add a second, LIKE-pattern
    # index on PostgreSQL which no query uses (numbers are matched exactly).
    number = models.CharField(_("number"), max_length=16)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    case_type = models.CharField(_("type"), max_length=16, choices=CaseType.choices)
    # Foreign keys here have no index of their own (db_index=False) unless a query reads by
    # them: every index on this table is one more write on each intake and each sweep update,
    # and deleting a category, area or user (PROTECT / SET_NULL checks) is rare enough to scan.
    category = models.ForeignKey(
        "services.Category",
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("category"),
        db_index=False,
    )
    description = models.TextField(_("description"), max_length=4000)
    # Place: a grid, estate or building; the path is copied so scope and KPI filters need no join.
    place = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("place"),
        db_index=False,  # read by place_path, never by id
    )
    place_path = models.CharField(_("place path"), max_length=255, editable=False)
    grid = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="grid_cases",
        null=True,
        blank=True,
        verbose_name=_("grid"),
        db_index=False,
    )
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_cases",
        verbose_name=_("reporter"),
    )
    reporter_name = models.CharField(_("reporter name"), max_length=60, blank=True)
    reporter_phone = models.CharField(_("reporter phone"), max_length=20, blank=True)
    tracking_token = models.CharField(_("tracking token"), max_length=32)
    # The short code an anonymous filer notes down or gets by SMS (/cases/track/: the code
    # and the phone's last 4 digits). Only cases with no account behind them have one; the
    # partial unique index stays off every other intake's write.
    tracking_code = models.CharField(_("tracking code"), max_length=8, blank=True, default="")

    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    raised_before_complaint = models.BooleanField(_("raised before any complaint"), default=False)
    handled_on_spot = models.BooleanField(_("handled on the spot"), default=False)
    is_malicious = models.BooleanField(_("malicious or invalid"), default=False)

    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.SUBMITTED
    )
    level = models.CharField(_("level"), max_length=12, choices=Level.choices, blank=True)
    handling_area = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="handled_cases",
        null=True,
        blank=True,
        verbose_name=_("handling area"),
        db_index=False,
    )
    handling_department = models.ForeignKey(
        "grids.Department",
        on_delete=models.PROTECT,
        related_name="handled_cases",
        null=True,
        blank=True,
        verbose_name=_("handling department"),
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
        db_index=False,
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="received_cases",
        verbose_name=_("first receiver"),
        db_index=False,
    )
    master = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_cases",
        verbose_name=_("merged into"),
        db_index=False,
    )

    # Moments of the lifecycle (first time each happened; KPIs read these).
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed for at"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("resident contacted at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    called_back_at = models.DateTimeField(_("called back at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # Clocks: when each started and when each runs out. Null = not running.
    clock_started_at = models.DateTimeField(_("resolve clock started"), null=True, blank=True)
    sign_due = models.DateTimeField(_("sign for by"), null=True, blank=True)
    contact_due = models.DateTimeField(_("contact by"), null=True, blank=True)
    resolve_due = models.DateTimeField(_("resolve by"), null=True, blank=True)
    # The yellow-card moments (80 % of each clock), computed once when the clock starts.
    sign_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    contact_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolve_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The timer ladder per clock (Stage) and the resulting card; set by the sweep, once each.
    sign_stage = models.PositiveSmallIntegerField(
        _("sign-for timer"), choices=Stage.choices, default=Stage.NONE
    )
    contact_stage = models.PositiveSmallIntegerField(
        _("contact timer"), choices=Stage.choices, default=Stage.NONE
    )
    resolve_stage = models.PositiveSmallIntegerField(
        _("resolve timer"), choices=Stage.choices, default=Stage.NONE
    )
    # Not indexed: the card filters read open cases through services_case_open_place, and
    # every index is one more write on each of the sweep's updates.
    card_level = models.PositiveSmallIntegerField(_("card"), default=0)
    escalation_level = models.PositiveSmallIntegerField(_("escalations"), default=0)
    next_check_at = models.DateTimeField(_("next timer check"), null=True, blank=True)

    # Outcomes the KPIs count.
    sign_on_time = models.BooleanField(_("signed for in time"), null=True, blank=True)
    contact_on_time = models.BooleanField(_("contacted in time"), null=True, blank=True)
    resolved_on_time = models.BooleanField(_("resolved in time"), null=True, blank=True)
    callback_solved = models.BooleanField(_("solved (callback)"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), choices=Rating.choices, null=True, blank=True
    )
    redo_count = models.PositiveSmallIntegerField(_("redone"), default=0)
    result = models.TextField(_("result"), blank=True)
    not_accepted_reason = models.TextField(_("reason not accepted"), blank=True)

    version = models.PositiveIntegerField(_("version"), default=1)

    objects = CaseQuerySet.as_manager()
    scope_area_field = "place"
    scope_department_field = "handling_department"
    scope_user_field = "reporter"
    scope_roles = {
        "view": _STAFF | {Role.RESIDENT, Role.UNIT_MEMBER},
        "add": _STAFF | {Role.RESIDENT, Role.UNIT_MEMBER},
        "change": _STAFF,
        "delete": frozenset(),
    }

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_check_at"],
                name="services_case_next_check",
                condition=Q(next_check_at__isnull=False),
            ),
            # The few cases waiting for the dispatch task (services.tasks.dispatch_pending).
            models.Index(
                fields=["next_check_at"],
                name="services_case_awaiting",
                condition=Q(state="submitted", next_check_at__isnull=False),
            ),
            # A scope's cases by place, carrying every column the desk's list filters and
            # sorts by (services.desk), so any filter over a district is at most one pass
            # over this index, never over the table. Also the scope's plain reads by place.
            models.Index(
                fields=["place_path", "created_at"],
                include=[
                    "id",
                    "number",
                    "state",
                    "case_type",
                    "category",
                    "channel",
                    "level",
                    "card_level",
                    "resolve_due",
                    "handling_area",
                    "handling_department",
                ],
                name="services_case_list",
            ),
            # The inbox's deadline filters (overdue, due today, cards), read in deadline order;
            # place_path rides along so the area test needs no heap fetch.
            models.Index(
                fields=["resolve_due", "place_path"],
                name="services_case_open_place",
                condition=Q(state__in=["dispatched", "signed", "in_progress"]),
            ),
            models.Index(fields=["place_path", "dispatched_at"], name="services_case_kpi_place"),
            # Partial where most rows are NULL: a row outside the condition costs no index write.
            models.Index(
                fields=["handling_department", "state"],
                name="services_case_dept",
                condition=Q(handling_department__isnull=False),
            ),
            models.Index(
                fields=["assignee"],
                name="services_case_assignee",
                condition=Q(assignee__isnull=False),
            ),
            models.Index(
                fields=["master"], name="services_case_master", condition=Q(master__isnull=False)
            ),
            models.Index(fields=["state", "created_at"], name="services_case_state"),
            # The dashboard's daily rollup (dashboard/rollup.py): a day's cases, to write its
            # rows; the cases changed since the last refresh, whose days are read live.
            models.Index(
                fields=["dispatched_at"],
                name="services_case_dispatched",
                condition=Q(dispatched_at__isnull=False),
            ),
            # The open cases past their deadline of a period, counted live by the rollup's
            # readers: every column they test is here, so the count reads the index alone.
            models.Index(
                fields=["place_path", "resolve_due"],
                include=["dispatched_at", "state", "is_malicious", "resolved_on_time"],
                name="services_case_late_open",
                condition=Q(state__in=["dispatched", "signed", "in_progress"])
                & Q(resolved_at__isnull=True),
            ),
            # The dashboard's map (services.figures.open_points): a district's open cases with
            # coordinates, newest first, from the index alone (the heap reads of their
            # coordinates were most of the panel's time).
            models.Index(
                fields=["place_path", "created_at"],
                include=["number", "lat", "lng", "resolve_due", "card_level"],
                name="services_case_map_open",
                condition=Q(state__in=["dispatched", "signed", "in_progress"])
                & Q(lat__isnull=False)
                & Q(lng__isnull=False),
            ),
            models.Index(
                fields=["updated_at"],
                include=["dispatched_at"],
                name="services_case_updated",
                condition=Q(dispatched_at__isnull=False),
            ),
            # The desk's counts (services.desk.counts): the cases still to work on, by place,
            # with every column the tiles test, so a district's counts read this index alone.
            models.Index(
                fields=["place_path"],
                include=[
                    "id",
                    "state",
                    "resolve_due",
                    "card_level",
                    "level",
                    "channel",
                    "handling_area",
                    "handling_department",
                    "assignee",
                ],
                name="services_case_desk",
                condition=Q(state__in=[*NOT_CLOSED_STATES, State.RESOLVED]),
            ),
            # Word search (services.search): the description as character pairs, trigrams.
            GinIndex(
                OpClass(CaseWords("description"), name="gin_trgm_ops"),
                name="services_case_words",
            ),
            # Cases filed for a phone number with no account behind it yet (a hotline call,
            # an anonymous report): read by that phone's login (/cases/mine/), claimed when the
            # number is proven by a code, and by the desk's caller lookup.
            models.Index(
                fields=["reporter_phone"],
                name="services_case_phone_unclaimed",
                condition=Q(reporter__isnull=True) & ~Q(reporter_phone=""),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="services_case_number_unique"),
            models.UniqueConstraint(
                fields=["tracking_token"], name="services_case_tracking_token_unique"
            ),
            models.UniqueConstraint(
                fields=["tracking_code"],
                name="services_case_tracking_code_unique",
                condition=~Q(tracking_code=""),
            ),
            models.CheckConstraint(
                condition=~Q(master=models.F("pk")),
                name="services_case_not_own_master",
                violation_error_message=_("A case cannot be merged into itself."),
            ),
            models.CheckConstraint(
                condition=Q(reporter__isnull=False)
                | ~Q(reporter_phone="")
                | ~Q(channel="resident_web"),
                name="services_case_reporter_or_phone",
                violation_error_message=_("An anonymous report needs a phone number."),
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="services_case_rating_scale",
                violation_error_message=_("Ratings run from 1 to 5."),
            ),
            models.CheckConstraint(
                condition=~Q(state="merged") | Q(master__isnull=False),
                name="services_case_merged_has_master",
                violation_error_message=_("A merged case names its master case."),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def unit_label(self) -> str:
        """The current handling unit as people name it."""
        if self.handling_department_id:
            return str(self.handling_department)
        return str(self.handling_area) if self.handling_area_id else "—"

    @property
    def is_open(self) -> bool:
        return self.state in (State.DISPATCHED, State.SIGNED, State.IN_PROGRESS)


class CaseFollower(models.Model):
    """Someone else who follows a case: the reporters of cases merged into it (并单)."""

    written_by = "services.actions"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_cases"
    )

    class Meta:
        verbose_name = _("case follower")
        verbose_name_plural = _("case followers")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "user"],
                name="services_casefollower_unique",
                violation_error_message=_("Already following this case."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.case_id}"


class CaseEvent(models.Model):
    """One step of a case's timeline: who did what, when, from which state to which."""

    written_by = "services.actions"

    # Indexed by (case, at) below, which also serves lookups by case alone.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        db_index=False,  # nothing reads events by actor; every index is a write per step
    )
    at = models.DateTimeField(_("at"))
    action = models.CharField(_("action"), max_length=24)
    from_state = models.CharField(_("from"), max_length=16, blank=True)
    to_state = models.CharField(_("to"), max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["case", "at"], name="services_event_case_at"),
            # Every case's steps in time order (Open311's servicerequestupdates feed reads
            # a window of them, oldest first, 1,000 at most: a range scan on this index).
            models.Index(fields=["at", "id"], name="services_event_at"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.at:%Y-%m-%d %H:%M}"

    @property
    def action_label(self) -> str:
        from services.choices import Action

        try:
            return str(Action(self.action).label)
        except ValueError:
            return self.action


def photo_path(instance: CasePhoto, filename: str) -> str:
    return f"cases/{instance.case.created_at:%Y/%m}/{instance.case.number}-{filename}"


class CasePhoto(models.Model):
    """A photo of the problem or of the result: re-encoded JPEG, resized, EXIF (GPS) removed."""

    written_by = "services.actions"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(_("kind"), max_length=8, choices=PhotoKind.choices, default="intake")
    image = models.ImageField(
        _("image"), upload_to=photo_path, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("case photo")
        verbose_name_plural = _("case photos")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.image.name or ""


class JointUnit(TimeStampedModel):
    """A unit handling a case jointly (主办 lead or 协办 supporting): "吹哨报到" — each reports
    in and adds its part."""

    written_by = "services.actions"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="joint_units")
    role = models.CharField(_("role"), max_length=8, choices=JointRole.choices)
    department = models.ForeignKey(
        "grids.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="joint_cases",
        verbose_name=_("department"),
    )
    area = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="joint_cases",
        verbose_name=_("area unit"),
    )
    reported_in_at = models.DateTimeField(_("reported in at"), null=True, blank=True)
    report = models.TextField(_("its part"), blank=True)

    class Meta:
        verbose_name = _("joint unit")
        verbose_name_plural = _("joint units")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(department__isnull=False, area__isnull=True)
                    | Q(department__isnull=True, area__isnull=False)
                ),
                name="services_jointunit_one_target",
                violation_error_message=_("A joint unit is either a department or an area unit."),
            ),
            models.UniqueConstraint(
                fields=["case", "department"],
                name="services_jointunit_unique_department",
                violation_error_message=_("This department already handles the case."),
            ),
            models.UniqueConstraint(
                fields=["case", "area"],
                name="services_jointunit_unique_area",
                violation_error_message=_("This unit already handles the case."),
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(role="lead"),
                name="services_jointunit_one_lead",
                violation_error_message=_("A case has one lead unit."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.department or self.area}"


class ExtensionRequest(TimeStampedModel):
    """A request, made before the resolve deadline, to move it (延期); approved or refused."""

    written_by = "services.actions"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    working_days = models.PositiveSmallIntegerField(_("extra working days"))
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=ExtensionStatus.choices, default="pending"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    old_due = models.DateTimeField(null=True, blank=True)
    new_due = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status="pending"),
                name="services_extension_one_pending",
                violation_error_message=_("This case already has an extension request pending."),
            ),
            models.CheckConstraint(
                condition=Q(working_days__gte=1, working_days__lte=30),
                name="services_extension_days_range",
                violation_error_message=_("An extension is 1 to 30 working days."),
            ),
        ]


class Callback(models.Model):
    """The 回访: was it solved, and how satisfied is the resident (five-level scale)."""

    written_by = "services.actions"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="callbacks")
    method = models.CharField(_("how"), max_length=10, choices=CallbackMethod.choices)
    solved = models.BooleanField(_("solved"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), choices=Rating.choices, null=True, blank=True
    )
    comment = models.TextField(_("comment"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    led_to_redo = models.BooleanField(_("sent back for redo"), default=False)

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="services_callback_rating_scale",
                violation_error_message=_("Ratings run from 1 to 5."),
            ),
            models.CheckConstraint(
                condition=~Q(method="no_answer") | Q(solved__isnull=True, rating__isnull=True),
                name="services_callback_no_answer_empty",
                violation_error_message=_("A callback with no answer records no rating."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_method_display()} {self.at:%Y-%m-%d}"
