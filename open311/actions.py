"""Open311's write operations: issuing and revoking API keys, filing a GeoReport request (THE
intake path, services.actions.submit_case, with the key's account and channel), attaching the
fetched media, and taking an update from the other side. Nothing else writes open311 rows.

A refused step raises ValidationError naming the field; the views turn it into the spec's
error envelope."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from grids.models import Area
from grids.scope import may
from open311.models import (
    LIST_DATATYPES,
    ApiKey,
    Datatype,
    MediaState,
    ServiceAttribute,
    Submission,
)
from portal.memo import TTLMemo
from services import actions as case_actions
from services.choices import CallbackMethod, CaseType, Channel, PhotoKind, State
from services.models import Case, Category

KEY_BYTES = 24


def hash_key(plain: str) -> str:
    """The stored form of a key: SHA-256 (a key is 32 random characters; a slow hash would buy
    nothing and cost every request)."""
    return hashlib.sha256(plain.encode()).hexdigest()


def _require_issuer(actor) -> None:
    if not may(actor, "add", ApiKey):
        raise ValidationError(_("Only city staff issue and revoke Open311 keys."))


def _system_account(name: str):
    """A new account for an external system: no password (it never logs in), no roles, so
    intake_rights lets it file online cases (resident_web) as their reporter."""
    User = get_user_model()
    base = f"open311-{slugify(name, allow_unicode=False)[:40] or 'system'}"
    username = base
    while User.objects.filter(username=username).exists():
        username = f"{base}-{secrets.token_hex(2)}"
    user = User(username=username)
    user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def issue_key(
    *, name: str, actor, channel: str = Channel.RESIDENT_WEB, area: Area | None = None, account=None
) -> tuple[ApiKey, str]:
    """Issue a key to an external system. Returns the row and the key itself, which is shown
    this once and never stored. The channel must be one the account may file on
    (services.actions.intake_rights); without an account one is made for the system."""
    _require_issuer(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the external system.")})
    if area is not None and area.kind not in ("city", "district", "street", "community", "grid"):
        raise ValidationError({"area": _("Choose a city, district, street, community or grid.")})
    account = account or _system_account(name)
    if channel not in case_actions.intake_rights(account).channels:
        raise ValidationError({"channel": _("This account cannot file cases on that channel.")})
    plain = secrets.token_urlsafe(KEY_BYTES)
    key = ApiKey.objects.create(
        name=name[:100],
        prefix=plain[:8],
        key_hash=hash_key(plain),
        account=account,
        channel=channel,
        area=area,
        created_by=actor,
    )
    return key, plain


@transaction.atomic
def revoke_key(key: ApiKey | int, *, actor) -> bool:
    """Revoke a key at once: every later request with it is refused (403). True when it was
    active."""
    _require_issuer(actor)
    key_id = key.pk if isinstance(key, ApiKey) else key
    return bool(
        ApiKey.objects.filter(pk=key_id, is_active=True).update(
            is_active=False, revoked_at=timezone.now(), revoked_by=actor
        )
    )


def key_for(plain: str) -> ApiKey | None:
    """The active key with this value, or None (unknown and revoked alike)."""
    if not plain or len(plain) > 200:
        return None
    # Never memoised: a revoked key is refused from the next request on.
    return (
        ApiKey.objects.select_related("account", "area")
        .defer("area__boundary")
        .filter(key_hash=hash_key(plain), is_active=True)
        .first()
    )


# --- filing -------------------------------------------------------------------------------------


@dataclass
class GeoReport:
    """What a POST requests carries, parsed (the view checks the syntax, this the meaning)."""

    service_code: str
    place: Area
    description: str = ""
    lat: float | None = None
    lng: float | None = None
    address: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    account_id: str = ""
    media_url: str = ""
    # A photo sent in the POST itself (multipart `media`), through the photo pipeline.
    media: list = field(default_factory=list)
    attributes: dict = field(default_factory=dict)
    # The client's name for this filing (see Submission.idempotency_key); empty: none.
    idempotency_key: str = ""


def in_key_area(key: ApiKey, path: str) -> bool:
    return key.area is None or path.startswith(key.area.path)


def filed_before(key: ApiKey, idempotency_key: str) -> Submission | None:
    """The submission this key already filed under this idempotency key, if any."""
    if not idempotency_key:
        return None
    return (
        Submission.objects.select_related("case")
        .filter(key=key, idempotency_key=idempotency_key)
        .first()
    )


def file_request(report: GeoReport, *, key: ApiKey) -> tuple[Submission, bool]:
    """File a GeoReport request as a case through services.actions.submit_case (the one intake
    path) with the key's account as the actor and the key's channel, which intake_rights
    checks. Refused outside the key's area. A `media_url` is fetched by a task on commit; a
    `media` upload goes through the photo pipeline with the case (both land or neither).

    With an idempotency key, a repeat answers the submission filed first and files nothing
    (the second value is False). Two at once: the database's unique constraint on (key,
    idempotency key) lets one commit; the other's whole filing rolls back and it answers the
    first one's."""
    before = filed_before(key, report.idempotency_key)
    if before is not None:
        return before, False
    try:
        return _file(report, key), True
    except IntegrityError:
        before = filed_before(key, report.idempotency_key)
        if before is None:
            raise
        return before, False


# The services a POST files under, by code: the active category and its questions. Read on
# every POST and changed rarely by staff: kept per process for CATALOGUE_TTL seconds like the
# case engine's own catalogue memos (services.actions.core), cleared at once in this process
# when a category or a question is saved or deleted (open311.apps).
CATALOGUE_TTL = case_actions.LIMITS_TTL
_services: TTLMemo[tuple[Category, tuple[ServiceAttribute, ...]] | None] = TTLMemo(CATALOGUE_TTL)


def service(code: str) -> tuple[Category, tuple[ServiceAttribute, ...]] | None:
    """The active category with this code and the questions it asks, or None."""

    def load():
        category = Category.objects.filter(code=code, is_active=True).first()
        if category is None:
            return None
        return category, tuple(ServiceAttribute.objects.filter(category=category))

    return _services.get(code, load)


def clear_catalogue() -> None:
    """Forget the memoised services (a staff edit; tests)."""
    _services.clear()


def check_attributes(
    category: Category, sent: dict, questions: tuple[ServiceAttribute, ...] | None = None
) -> None:
    """The category's questions (ServiceAttribute) against the `attribute[code]` answers: a
    required one missing, a number that is not one, a list answer not among its values, or
    several answers to a one-of-a-list question are refused naming the parameter. Answers to
    codes the category does not ask are kept as sent (FixMyStreet's own, e.g. its report id)."""
    errors: dict[str, list[str]] = {}
    if questions is None:
        questions = tuple(ServiceAttribute.objects.filter(category=category))
    for attribute in questions:
        name = f"attribute[{attribute.code}]"
        value = sent.get(attribute.code)
        answers = [v for v in (value if isinstance(value, list) else [value]) if v]
        if not answers:
            if attribute.required:
                errors[name] = [
                    _("This attribute is required: %(q)s") % {"q": attribute.description}
                ]
            continue
        if attribute.datatype in LIST_DATATYPES:
            keys = {str(v.get("key")) for v in attribute.values or []}
            if attribute.datatype == Datatype.SINGLE and len(answers) > 1:
                errors[name] = [_("Choose one value.")]
            elif any(a not in keys for a in answers):
                errors[name] = [_("Choose among: %(keys)s.") % {"keys": ", ".join(sorted(keys))}]
        elif attribute.datatype == Datatype.NUMBER:
            try:
                [float(a) for a in answers]
            except ValueError:
                errors[name] = [_("Enter a number.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def _file(report: GeoReport, key: ApiKey) -> Submission:
    found = service(report.service_code)
    if found is None:
        raise ValidationError({"service_code": _("No such service.")})
    category, questions = found
    check_attributes(category, report.attributes, questions)
    if not in_key_area(key, report.place.path):
        raise ValidationError({"location": _("This place is outside the area of this key.")})
    # Chinese names: family name first, no space.
    name = f"{report.last_name.strip()}{report.first_name.strip()}"
    case = case_actions.submit_case(
        case_actions.Intake(
            case_type=CaseType.HELP,
            category=category,
            description=report.description,
            place=report.place,
            channel=key.channel,
            lat=report.lat,
            lng=report.lng,
            address=report.address,
            reporter_name=name,
            reporter_phone=report.phone,
            photos=list(report.media),
        ),
        actor=key.account,
    )
    submission = Submission.objects.create(
        case=case,
        key=key,
        token=secrets.token_urlsafe(16)[:22],
        account_id=report.account_id[:100],
        media_url=report.media_url,
        media_state=MediaState.PENDING if report.media_url else MediaState.NONE,
        idempotency_key=report.idempotency_key,
        attributes=report.attributes,
    )
    if report.media_url:
        from open311.tasks import fetch_media

        transaction.on_commit(lambda: fetch_media.delay(submission.pk))
    return submission


@transaction.atomic
def attach_media(submission_id: int, content, *, error: str = "") -> bool:
    """Store the fetched media as the case's photo (the photo pipeline checks and re-encodes
    it), or record why it was refused. Runs once: a submission no longer pending is left as
    it is (a task delivered twice). True when a photo was saved."""
    submission = (
        Submission.objects.select_for_update()
        .select_related("case")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None or submission.media_state != MediaState.PENDING:
        return False
    if not error:
        try:
            case_actions.save_photos(submission.case, [content], PhotoKind.INTAKE)
        except ValidationError as exc:
            error = "; ".join(exc.messages)
    submission.media_state = MediaState.REFUSED if error else MediaState.SAVED
    submission.media_error = error[:200]
    submission.save(update_fields=["media_state", "media_error"])
    return not error


# --- updates from the other side (servicerequestupdates) ----------------------------------------

# FixMyStreet's statuses that say what the reporter thinks of the result; the rest (comments,
# IN_PROGRESS …) have no operation a reporter may do (services.actions has none that takes a
# reporter's free comment: add_progress is the handler's).
SOLVED_STATUSES = frozenset({"FIXED", "CLOSED"})
NOT_SOLVED_STATUSES = frozenset({"OPEN", "REOPEN", "NOT_FIXED"})


def post_update(
    case: Case, *, key: ApiKey, status: str, description: str, rating: int | None
) -> Case:
    """An update from the platform that filed the case: "fixed" or "not fixed" on a resolved
    case, with the reporter's rating (1-5, the national scale; Open311 has no such field, so
    it is the `rating` extension), is the reporter's answer to the callback (回访,
    services.actions.callback: not solved or dissatisfied → the case is handled again).
    Anything else is refused with a reason."""
    status = (status or "").strip().upper()
    if case.reporter_id != key.account_id:
        raise ValidationError(
            {"service_request_id": _("Only the system that filed a request sends its updates.")}
        )
    if status not in SOLVED_STATUSES | NOT_SOLVED_STATUSES:
        raise ValidationError(
            {
                "status": _(
                    "Only FIXED, CLOSED, OPEN or REOPEN on a resolved request are taken: "
                    "comments are not kept on a case."
                )
            }
        )
    if case.state != State.RESOLVED:
        raise ValidationError(
            {"status": _("The request is not resolved: there is no result to answer yet.")}
        )
    case_actions.callback(
        case.pk,
        actor=key.account,
        solved=status in SOLVED_STATUSES,
        rating=rating,
        comment=(description or "").strip()[:1000],
        method=CallbackMethod.RESIDENT,
    )
    return Case.objects.get(pk=case.pk)
