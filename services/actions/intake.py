"""Intake: case numbers, who may file how (`intake_rights`, the one rule), cleaning what a
resident, grid worker, kiosk or desk operator filed, and the operations that take a case in:
`submit_case`, `answer_at_once` (即时办结), `file_and_merge` and `follow` (并单 at intake), and
`claim_cases_by_phone` (a phone proven by a code collects the cases filed for it).

Every caller (the phone pages, the desk, the API) builds an `Intake` from what the client sent
and passes it here unchanged: a field the actor may not set is refused with an error naming
it, never quietly replaced by the allowed value."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from grids.models import Area
from grids.models.roles import OFFICE_ROLES, Role
from grids.scope import scope_for
from notifications import notify
from services import calendar, city, photos, sql
from services.actions.core import S, _event, _now, active_category, grid_id_for
from services.actions.handling import _resolve_locked
from services.choices import (
    NOT_CLOSED_STATES,
    Action,
    CaseType,
    Channel,
    PhotoKind,
    Urgency,
)
from services.models import (
    Case,
    CaseFollower,
    CasePhoto,
    Category,
)


def next_number(now: datetime | None = None) -> str:
    """The next case number, YYYYMMDD + at least 5 digits (2026112400123), from one atomic
    upsert of the day's counter row: concurrent submissions each get their own number, and the
    row is held only for the length of the statement (the ORM has no "increment or insert")."""
    day = calendar.local(now or _now()).date()
    last = sql.take_next_number(day)
    return f"{day:%Y%m%d}{last:05d}"


# --- phone numbers ------------------------------------------------------------------------------

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Area code (010, 0595 …) and a 7- or 8-digit number: what a hotline's caller ID shows.
LANDLINE_RE = re.compile(r"^0\d{2,3}\d{7,8}$")
_PHONE_NOISE = re.compile(r"[\s\-‐‑–—－()（）.]")


def normalise_phone(value: str | None) -> str:
    """A phone number as digits: full-width and other Unicode digits become ASCII, spaces,
    dashes and brackets go, a +86/0086 prefix is dropped. Raises ValidationError unless it is
    a mainland mobile (11 digits) or a landline with its area code; "" stays ""."""
    text = _PHONE_NOISE.sub("", value or "")
    if not text:
        return ""
    digits = "".join(str(unicodedata.digit(c)) if c.isdecimal() else c for c in text)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix) and len(digits) > 11:
            digits = digits[len(prefix) :]
    if not (MOBILE_RE.match(digits) or LANDLINE_RE.match(digits)):
        raise ValidationError(
            _("Enter a mobile number (11 digits) or a landline with its area code.")
        )
    return digits


def is_mobile(phone: str) -> bool:
    return bool(MOBILE_RE.match(phone or ""))


# --- the short tracking code -----------------------------------------------------------------------

# No 0/O, 1/I/L, 5/S or 2/Z pairs: a code read out over the phone or copied by an elderly hand
# is typed back as it was written. 27 symbols, 8 places: about 2.8 × 10^11 codes.
CODE_ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"
CODE_LENGTH = 8
_CODE_TRIES = 4


def new_tracking_code() -> str:
    """A random tracking code (8 symbols from CODE_ALPHABET)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def clean_tracking_code(value: str | None) -> str:
    """What a resident typed, as stored: upper case, without spaces and dashes (the code is
    shown as ABCD-EFGH). Full-width letters and digits count as their ASCII selves."""
    text = unicodedata.normalize("NFKC", value or "").upper()
    return re.sub(r"[\s\-‐‑–—_.·]", "", text)[:40]


def show_tracking_code(code: str) -> str:
    """ABCD-EFGH: two groups of four are easier to read out and copy."""
    return f"{code[:4]}-{code[4:]}" if len(code) == CODE_LENGTH else code


def _save_with_code(case: Case) -> None:
    """Save a new case; one with a tracking code inside a savepoint, so the rare clash with an
    existing code (the database's unique index says so) draws a new code instead of failing
    the resident's submission."""
    if not case.tracking_code:
        case.save()
        return
    for attempt in range(_CODE_TRIES):
        try:
            with transaction.atomic():
                case.save()
            return
        except IntegrityError as exc:
            if "services_case_tracking_code_unique" not in str(exc) or attempt == _CODE_TRIES - 1:
                raise
            case.pk = None
            case.tracking_code = new_tracking_code()


# --- who may file how: THE rule -------------------------------------------------------------------

# What the desk (/desk/new/) offers: a call to the hotline, a walk-in at the centre's window
# (窗口), a co-building unit's report.
DESK_CHANNELS = (Channel.HOTLINE, Channel.WINDOW, Channel.UNIT)
# Channels on which someone files for somebody else: the reporter comes from the phone number.
ON_BEHALF_CHANNELS = frozenset({*DESK_CHANNELS, Channel.GRID_WORKER, Channel.KIOSK})


def is_kiosk(user) -> bool:
    """A self-service machine's account: one named in LINLI["KIOSK_USERS"] (the kiosk
    credential is that account's login; the setting says which accounts are machines)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.get_username() in settings.LINLI.get("KIOSK_USERS", ())


@dataclass(frozen=True)
class IntakeRights:
    """What one actor may set on a case they file. `channels[0]` is used when none is sent."""

    channels: tuple[str, ...]
    urgent_on: frozenset[str] = frozenset()  # channels where urgency/emergency may be set
    proactive_on: frozenset[str] = frozenset()  # channels where 未诉先办 may be flagged
    on_spot_on: frozenset[str] = frozenset()  # channels where handled_on_spot may be set
    answer_on: frozenset[str] = frozenset()  # channels where a consultation closes at once

    desk_channels: tuple[str, ...] = ()  # what the desk (/desk/new/) offers them


def intake_rights(actor) -> IntakeRights:
    """THE answer to "which channel and flags may this actor file a case with".

    - Everybody, logged in or not, files for themselves online (`resident_web`): urgency
      normal, no emergency, no 未诉先办.
    - A kiosk account files as `kiosk` and nothing else.
    - A co-building unit's member also files as `unit` (their unit's report).
    - Grid workers and community staff file their own findings as `grid_worker`, may flag
      them 未诉先办 and close them on the spot.
    - Community, street, district and city staff key in hotline calls, walk-ins at the
      window and units' reports (the desk), with urgency, and close a consultation answered
      on the phone at once (即时办结).
    - Superusers may do all of it except file as a kiosk."""
    if is_kiosk(actor):
        return IntakeRights(channels=(Channel.KIOSK,))
    scope = scope_for(actor)
    desk = DESK_CHANNELS if scope.has_role(*OFFICE_ROLES) else ()
    field = (Channel.GRID_WORKER,) if scope.has_role(Role.GRID_WORKER, Role.COMMUNITY_STAFF) else ()
    unit = (Channel.UNIT,) if not desk and scope.has_role(Role.UNIT_MEMBER) else ()
    staff = frozenset((*desk, *field))
    return IntakeRights(
        channels=(*desk, *field, *unit, Channel.RESIDENT_WEB),
        urgent_on=staff,
        proactive_on=frozenset(field),
        on_spot_on=frozenset(field),
        answer_on=frozenset(desk),
        desk_channels=desk,
    )


def _check_rights(data: Intake, rights: IntakeRights, errors: dict[str, list[str]]) -> None:
    """Refuse (never override) what the actor may not set; fills `data.channel` when empty.
    `data.at` narrows the channels to those of the page it was filed from (the desk)."""
    allowed = tuple(c for c in rights.channels if not data.at or c in data.at)
    if not data.channel and allowed:
        data.channel = allowed[0]
    if data.channel not in Channel.values:
        errors["channel"] = [_("Choose a channel.")]
        return
    if data.channel not in allowed:
        errors["channel"] = [
            _("You cannot file a case as “%(channel)s” here; you may: %(allowed)s.")
            % {
                "channel": Channel(data.channel).label,
                "allowed": "、".join(str(Channel(c).label) for c in allowed) or "—",
            }
        ]
        return
    raised = data.urgency in Urgency.values and data.urgency != Urgency.NORMAL
    if raised and data.channel not in rights.urgent_on:
        errors["urgency"] = [_("Only staff taking a case in for someone set its urgency.")]
    if data.case_type == CaseType.EMERGENCY and data.channel not in rights.urgent_on:
        errors["case_type"] = [
            _("Only staff taking a case in for someone file it as an emergency; call 110/119/120.")
        ]
    if data.raised_before_complaint and data.channel not in rights.proactive_on:
        errors["raised_before_complaint"] = [
            _(
                "Only a grid or community worker's own finding is marked as raised before any "
                "complaint (未诉先办)."
            )
        ]
    if data.handled_on_spot and data.channel not in rights.on_spot_on:
        errors["handled_on_spot"] = [_("Only grid and community staff handle cases on the spot.")]


# --- intake -------------------------------------------------------------------------------------


PLACE_KINDS = ("grid", "estate", "building")
DISPATCH_GRACE = timedelta(seconds=60)  # the default of LINLI_DISPATCH_GRACE_SECONDS


def dispatch_grace() -> timedelta:
    """How long a filed case waits for its dispatch message before the sweep dispatches it."""
    seconds = settings.LINLI.get("DISPATCH_GRACE_SECONDS")
    return DISPATCH_GRACE if seconds is None else timedelta(seconds=float(seconds))


@dataclass
class Intake:
    """What a submission carries (a form, the API and the phone pages fill one). An empty
    `channel` means the actor's own (the first of `intake_rights(actor).channels`)."""

    case_type: str
    category: Category | int
    description: str
    place: Area | int
    channel: str = ""
    lat: float | None = None
    lng: float | None = None
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    urgency: str = Urgency.NORMAL
    raised_before_complaint: bool = False
    handled_on_spot: bool = False
    result: str = ""
    photos: list = field(default_factory=list)
    result_photos: list = field(default_factory=list)
    # The channels of the page it is filed from (the desk: DESK_CHANNELS); empty = any of the
    # actor's. Set by the page, never by the client.
    at: tuple[str, ...] = ()


def _clean_intake(data: Intake, actor) -> tuple[Category, Area]:
    errors: dict[str, list[str]] = {}
    rights = intake_rights(actor)
    if data.case_type not in CaseType.values:
        errors["case_type"] = [_("Choose a type.")]
    if data.urgency not in Urgency.values:
        errors["urgency"] = [_("Choose an urgency.")]
    _check_rights(data, rights, errors)
    description = (data.description or "").strip()
    if not description:
        errors["description"] = [_("Describe the problem.")]
    elif len(description) > 4000:
        errors["description"] = [_("At most 4,000 characters.")]
    category = (
        data.category if isinstance(data.category, Category) else active_category(data.category)
    )
    if category is None or not category.is_active:
        errors["category"] = [_("Choose a category.")]
    place: Area | None = data.place if isinstance(data.place, Area) else None
    if place is None and data.place:
        place = Area.objects.filter(pk=data.place).first()
    scope = scope_for(actor)
    # Staff keying a case in (not one of their own online) do it for their own area only;
    # residents, units and kiosks report anywhere.
    on_behalf = scope.is_staff and "channel" not in errors and data.channel != Channel.RESIDENT_WEB
    if place is None or place.kind not in PLACE_KINDS:
        errors["place"] = [_("Choose a grid, estate or building.")]
    elif on_behalf and not scope.covers_area(place):
        errors["place"] = [_("This place is outside your area.")]
    try:
        data.reporter_phone = normalise_phone(data.reporter_phone)
    except ValidationError as exc:
        errors["reporter_phone"] = exc.messages
    anonymous = actor is None or not actor.is_authenticated or is_kiosk(actor)
    if anonymous and not data.reporter_phone and "reporter_phone" not in errors:
        errors["reporter_phone"] = [_("Leave a phone number so we can reach you.")]
    for name, value, lo, hi in (("lat", data.lat, -90, 90), ("lng", data.lng, -180, 180)):
        if value is not None and not (lo <= value <= hi):
            errors[name] = [_("Not a WGS-84 coordinate.")]
    if data.handled_on_spot and "handled_on_spot" not in errors and not data.result.strip():
        errors["result"] = [_("Say how it was handled.")]
    if errors:
        raise ValidationError(errors)
    assert category is not None and place is not None  # else errors were raised above
    return category, place


def reporter_for_phone(phone: str):
    """The account a phone number belongs to, or None. `User.phone` is unique and it is the
    account the phone-code login (portal.accounts) opens for that number, so whoever proves
    the number by a code is this user: a case filed for the number is theirs."""
    if not phone:
        return None
    return get_user_model().objects.filter(phone=phone, is_active=True).first()


def _reporter(data: Intake, actor):
    """Who the case belongs to: the actor filing for themselves; else the account behind the
    phone number given (never the staff member or kiosk keying it in)."""
    user = actor if actor is not None and actor.is_authenticated else None
    if data.channel not in ON_BEHALF_CHANNELS:
        # Online for oneself. Anonymously, a typed number proves nothing: the case waits
        # for that number's code login (claim_cases_by_phone).
        return user
    if user is not None and data.channel == Channel.UNIT and not scope_for(user).is_staff:
        return user  # a unit's member filing their unit's report
    owner = reporter_for_phone(data.reporter_phone)
    return None if owner is None or owner == user else owner


def _file(data: Intake, actor) -> tuple[Case, datetime]:
    """Store the case, its first event and its photos (inside the caller's transaction)."""
    category, place = _clean_intake(data, actor)
    clean_photos = photos.process_all(data.photos)
    now = _now()
    user = actor if actor is not None and actor.is_authenticated else None
    case = Case(
        number=next_number(now),
        channel=data.channel,
        case_type=data.case_type,
        category=category,
        description=data.description.strip(),
        place=place,
        place_path=place.path,
        grid_id=grid_id_for(place),
        lat=data.lat,
        lng=data.lng,
        address=data.address.strip()[:200],
        reporter=_reporter(data, actor),
        reporter_name=data.reporter_name.strip()[:60],
        reporter_phone=data.reporter_phone[:20],
        tracking_token=secrets.token_urlsafe(16)[:22],
        urgency=data.urgency,
        raised_before_complaint=data.raised_before_complaint,
        handled_on_spot=data.handled_on_spot,
        received_by=user,
        state=S.SUBMITTED,
        # Waiting for the dispatch task; if its message is lost, the sweep dispatches the case
        # once this time has passed (the database, not the broker, remembers it is waiting).
        next_check_at=now + dispatch_grace(),
    )
    if case.channel == Channel.RESIDENT_WEB and case.reporter is None and not case.reporter_phone:
        raise ValidationError({"reporter_phone": _("Leave a phone number so we can reach you.")})
    if case.reporter is None and case.reporter_phone:
        # Nobody's account follows this case: the filer gets a short code to find it again.
        case.tracking_code = new_tracking_code()
    submitted = _event(case, Action.SUBMIT, user, "", payload={"channel": case.channel}, at=now)
    _save_with_code(case)
    submitted.case = case
    submitted.save()
    if clean_photos:
        CasePhoto.objects.bulk_create(
            [CasePhoto(case=case, kind=PhotoKind.INTAKE, image=f) for f in clean_photos]
        )
    city.note_events([submitted])  # collected here: the city 12345 platform hears of it
    _text_tracking_number(case, actor)
    return case, now


@transaction.atomic
def submit_case(data: Intake, actor=None) -> Case:
    """Take in a case (受理). It lands whole with its photos or not at all.

    The channel and flags must be the actor's to set (`intake_rights`), else a
    ValidationError names the field. The first receiver owns it until it is dispatched. On
    commit the dispatch task routes it; a case handled on the spot is resolved at once and
    goes straight to callback. A case filed for someone else's mobile number texts them its
    number (on commit)."""
    case, now = _file(data, actor)
    if data.handled_on_spot:
        clean_results = photos.process_all(data.result_photos)
        _resolve_locked(case, _user(actor), data.result, clean_results, now)
        return case
    _request_dispatch()
    return case


@transaction.atomic
def answer_at_once(data: Intake, *, actor, answer: str) -> Case:
    """即时办结: a consultation answered while the caller is still on the line (or at the
    window) is filed and closed in one step, the answer on its timeline as the result. It
    is never dispatched; it waits for its callback like any resolved case."""
    answer = (answer or "").strip()
    errors: dict[str, list[str]] = {}
    if data.case_type != CaseType.CONSULTATION:
        errors["case_type"] = [_("Only a consultation is answered and closed at once.")]
    if not answer:
        errors["answer"] = [_("Write the answer given.")]
    elif len(answer) > 4000:
        errors["answer"] = [_("At most 4,000 characters.")]
    rights = intake_rights(actor)
    if (data.channel or rights.channels[0]) not in rights.answer_on:
        errors["answer"] = [_("Only desk staff close a consultation at once.")]
    if errors:
        raise ValidationError(errors)
    case, now = _file(data, actor)
    _resolve_locked(case, _user(actor), answer, [], now)
    return case


@transaction.atomic
def file_and_merge(data: Intake, *, actor, master: Case | int) -> Case:
    """File a repeat report and merge it at once into the open case about the same problem
    (并单): both land or neither. The caller follows the master from now on."""
    from services.actions.review import merge

    master_id = master.pk if isinstance(master, Case) else master
    target = Case.objects.visible_to(actor).filter(pk=master_id).only("pk", "state").first()
    if target is None:
        raise ValidationError({"master": _("No such case.")})
    if target.state not in NOT_CLOSED_STATES:
        raise ValidationError(
            {"master": _("That case was closed meanwhile: save this one as a new case.")}
        )
    case, _now_ = _file(data, actor)
    return merge(case, actor=actor, master=target.pk, note=_("Merged when it was keyed in."))


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None


def _request_dispatch() -> None:
    from services.tasks import request_dispatch

    transaction.on_commit(request_dispatch)


def _text_tracking_number(case: Case, actor) -> bool:
    """Tell the person a case was filed for its number, so they can follow it:

    - filed by someone else (a desk operator, a grid worker, a kiosk) for an account holder:
      through their notification channels (the in-site inbox, and a text message unless they
      turned it off);
    - filed for a mobile number with no account behind it, by someone else or anonymously
      online by the resident themselves: a text message with the number and the short
      tracking code (/cases/track/ opens the case with it and the phone's last 4 digits).

    Not a logged-in filer themselves (the case is under their "my cases")."""
    phone = case.reporter_phone
    on_behalf = case.channel in ON_BEHALF_CHANNELS
    if not on_behalf and not (case.reporter_id is None and case.tracking_code):
        return False
    if (
        on_behalf
        and actor is not None
        and (
            getattr(actor, "pk", None) == case.reporter_id
            or (phone and getattr(actor, "phone", None) == phone)
        )
    ):
        return False
    title = _("Your case %(number)s is taken in") % {"number": case.number}
    body = _(
        "Your case %(number)s is taken in. Log in to Linli with this mobile number (a code "
        "by text message) to follow it and to tell us afterwards whether it was solved."
    ) % {"number": case.number}
    if case.reporter_id:
        notify.queue(
            users=[case.reporter_id], case=case, kind="case_received", title=title, body=body
        )
        return True
    if not is_mobile(phone):
        return False
    if case.tracking_code:
        body += " " + _(
            "Or enter the tracking code %(code)s and the last 4 digits of this number at %(url)s."
        ) % {"code": show_tracking_code(case.tracking_code), "url": "/cases/track/"}
    return notify.queue_to_phone(
        phone=phone, kind="case_received", title=title, body=body, case=case
    )


# --- following, claiming ------------------------------------------------------------------------


@transaction.atomic
def follow(case: Case | int, *, actor, follower=None) -> bool:
    """Follow an open case instead of filing a duplicate (并单 at intake): the follower is told
    of its progress and may answer its callback. `follower` (default: the actor) is the
    caller a desk operator names; staff may add only callers of cases they may see, and the
    caller is texted the number they now follow. True when newly following."""
    case_id = case.pk if isinstance(case, Case) else case
    if actor is None or not actor.is_authenticated:
        raise ValidationError({"actor": _("Log in to follow a case.")})
    follower = follower or actor
    cases = Case.objects.all() if follower == actor else Case.objects.visible_to(actor)
    if follower != actor and not scope_for(actor).is_staff:
        raise ValidationError({"actor": _("Only staff add someone else as a follower.")})
    target = cases.filter(pk=case_id).only("pk", "number", "state", "reporter_id").first()
    if target is None:
        raise ValidationError({"case": _("No such case.")})
    if target.state not in NOT_CLOSED_STATES:
        raise ValidationError({"case": _("This case is closed; file a new one.")})
    if target.reporter_id == follower.pk:
        return False
    _row, created = CaseFollower.objects.get_or_create(case_id=target.pk, user=follower)
    if created and follower != actor and is_mobile(follower.phone or ""):
        number = target.number
        notify.queue_to_phone(
            phone=follower.phone,
            kind="case_followed",
            title=_("You follow case %(number)s") % {"number": number},
            body=_(
                "Your report is handled with case %(number)s, already open about the same "
                "problem. Log in to Linli with this mobile number to follow it."
            )
            % {"number": number},
            case=target,
        )
    return created


@transaction.atomic
def claim_cases_by_phone(user, phone: str) -> int:
    """Make `user` the reporter of the cases filed for `phone` while no account had it (a
    hotline call, an anonymous report). Call only once the user has proven the number (the
    phone-code login): from then on the cases are theirs everywhere — their list, their
    case pages, their notices, their callbacks. Returns how many were claimed."""
    if not phone or user is None or not user.is_authenticated or user.phone != phone:
        return 0
    # Not what they keyed in themselves (a grid worker's patrol finds carry their own number).
    unclaimed = Case.objects.filter(reporter__isnull=True, reporter_phone=phone)
    return unclaimed.exclude(received_by=user).update(reporter=user)
