"""GeoReport v2 under /open311/v2/ (http://wiki.open311.org/GeoReport_v2), JSON or XML by the
suffix, and FixMyStreet's servicerequestupdates extension.

Every answer that is not a result is the spec's error envelope: 400 for a missing or bad
argument, 403 for a missing, unknown or revoked key (or one used outside its area), 404 for an
unknown jurisdiction, service, request or token, 429 past a key's rate. Writes go through
open311.actions; reads through open311.records (what a resident would see)."""

from __future__ import annotations

import functools
import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import F, Q, Value
from django.db.models.functions import Length
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from grids.models import Area
from open311 import actions, records
from open311.forms import (
    MAX_PAGE_SIZE,
    DetailQueryForm,
    GeoReportForm,
    KeyForm,
    RequestsQueryForm,
    UpdateForm,
    UpdatesQueryForm,
    attributes_from,
    idempotency_from,
)
from open311.models import ApiKey, Submission
from open311.render import FORMATS, answer, errors, iso
from portal import ratelimit
from services.actions import PLACE_KINDS
from services.choices import CLOSED_STATES, NOT_CLOSED_STATES
from services.models import CaseEvent, Category
from services.photos import MAX_PHOTOS
from services.views.common import nearest_place

WINDOW = timedelta(days=90)  # the spec's default and widest span of GET requests


class Refused(Exception):
    """An answer in the error envelope."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def conf(name: str, default=None):
    return settings.LINLI.get(name, default)


def _form_errors(form) -> list[str]:
    return [
        f"{field}: {message}" if field != "__all__" else str(message)
        for field, messages in form.errors.items()
        for message in messages
    ]


def _validation_errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{field}: {m}" for field, ms in exc.message_dict.items() for m in ms]
    return list(exc.messages)


def endpoint(methods: tuple[str, ...] = ("GET",)):
    """Format check, method check, jurisdiction check, and every refusal as the envelope."""

    def wrap(view):
        @csrf_exempt
        @functools.wraps(view)
        def inner(request, fmt: str, **kwargs) -> HttpResponse:
            fmt = fmt.lower()
            if fmt not in FORMATS:
                return errors("xml", 404, _("Unknown format: use .json or .xml."))
            if request.method not in methods:
                response = errors(fmt, 405, _("This method is not allowed here."))
                response["Allow"] = ", ".join(methods)
                return response
            params = request.POST if request.method == "POST" else request.GET
            jurisdiction = params.get("jurisdiction_id", "")
            if jurisdiction and jurisdiction != conf("OPEN311_JURISDICTION", ""):
                return errors(fmt, 404, _("Unknown jurisdiction_id."))
            try:
                return view(request, fmt, params, **kwargs)
            except Refused as exc:
                return errors(fmt, exc.status, exc.description)
            except ValidationError as exc:
                return errors(fmt, 400, *_validation_errors(exc))

        return inner

    return wrap


def _check(form) -> dict:
    if not form.is_valid():
        raise ValidationError(_form_errors(form))
    return form.cleaned_data


def _key(data: dict, *, required: bool) -> ApiKey | None:
    plain = data.get("api_key") or ""
    if not plain:
        if required:
            raise Refused(403, _("api_key is required."))
        return None
    key = actions.key_for(plain)
    if key is None:
        raise Refused(403, _("api_key is unknown or revoked."))
    return key


def _rate(key: ApiKey) -> None:
    limit = int(conf("OPEN311_POSTS_PER_MINUTE", 60))
    if not ratelimit.hit(f"open311:{key.pk}", limit, 60):
        raise Refused(
            429, _("Too many requests with this key: at most %(n)s a minute.") % {"n": limit}
        )


def _window(data: dict, *, default: timedelta = WINDOW) -> tuple:
    start, end = data.get("start_date"), data.get("end_date")
    if end is None:
        end = start + default if start is not None else timezone.now()
    if start is None:
        start = end - default
    if end < start:
        raise Refused(400, _("end_date is before start_date."))
    if end - start > WINDOW:
        raise Refused(400, _("start_date and end_date are at most 90 days apart."))
    return start, end


# --- discovery and services ----------------------------------------------------------------------


@endpoint()
def discovery(request, fmt, params):
    base = request.build_absolute_uri("/open311/v2/")
    changeset = iso(timezone.now().replace(hour=0, minute=0, second=0, microsecond=0))
    body = {
        "changeset": changeset,
        "contact": conf("OPEN311_CONTACT", "") or conf("SITE_NAME", ""),
        "key_service": _("Keys are issued by city staff in the admin (Open311 API keys)."),
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return answer(fmt, "discovery", None, body)


@endpoint()
def services(request, fmt, params):
    _check(KeyForm(params))
    return answer(fmt, "services", "service", records.services_list())


@endpoint()
def service_definition(request, fmt, params, code: str):
    _check(KeyForm(params))
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        raise Refused(404, _("No such service_code."))
    return answer(fmt, "service_definition", None, records.definition(category))


# --- requests ------------------------------------------------------------------------------------


def _absolute(request):
    return request.build_absolute_uri


@csrf_exempt
def requests_view(request, fmt: str):
    return (_post_request if request.method == "POST" else _get_requests)(request, fmt=fmt)


@endpoint()
def _get_requests(request, fmt, params):
    data = _check(RequestsQueryForm(params))
    key = _key(data, required=False)
    cases = records.readable(key)
    numbers = [n.strip() for n in (data.get("service_request_id") or "").split(",") if n.strip()]
    if numbers:
        # The spec: a list of ids overrides every other filter.
        cases = cases.filter(number__in=numbers[:MAX_PAGE_SIZE])
    else:
        start, end = _window(data)
        cases = cases.filter(created_at__gte=start, created_at__lte=end)
        codes = [c.strip() for c in (data.get("service_code") or "").split(",") if c.strip()]
        if codes:
            # The ids themselves, not a join or a subquery: the page's query stays on the case
            # table alone and the planner sees the ids (a subquery's plan walked twice as far).
            ids = list(Category.objects.filter(code__in=codes).values_list("pk", flat=True))
            cases = cases.filter(category_id__in=ids)
        wanted = {s.strip() for s in (data.get("status") or "").split(",") if s.strip()}
        if wanted - {"open", "closed"}:
            raise Refused(400, _("status: open, closed or both."))
        if wanted == {"open"}:
            cases = cases.filter(state__in=NOT_CLOSED_STATES)
        elif wanted == {"closed"}:
            cases = cases.filter(state__in=CLOSED_STATES)
    size = data.get("page_size") or MAX_PAGE_SIZE
    page = _page(cases, data, key, size)
    body = records.records(page, key, _absolute(request), extensions=bool(data.get("extensions")))
    return answer(fmt, "service_requests", "request", body)


# Keyset paging behind the spec's page/page_size: the last (created_at, id) of each full page
# is kept a while in the cache under the query's own words (the parameters as sent, the key),
# so the next page seeks past it on the (created_at) index instead of skipping the pages
# before it (OFFSET: page 50 of 100 read and threw away 4,900 rows). A page whose
# predecessors were not walked lately starts from the nearest page kept among the SEEK_BACK
# before it, else from the start (OFFSET). The rows are OFFSET's unless cases came into or
# left the window meanwhile; then the seek goes on where the client left off (no row twice
# or skipped), which OFFSET does not.
SEEK_TTL = 600  # seconds
SEEK_BACK = 10  # pages
SEEK_PARAMS = ("service_request_id", "service_code", "start_date", "end_date", "status")


def _seek_key(data: dict, key: ApiKey | None, size: int) -> str:
    words = [str(key.pk if key else 0), str(size)] + [str(data.get(p) or "") for p in SEEK_PARAMS]
    digest = hashlib.sha256("\x1f".join(words).encode()).hexdigest()[:32]
    return f"open311:seek:{digest}"


def _page(cases, data: dict, key: ApiKey | None, size: int) -> list:
    number = data.get("page") or 1
    ordered = cases.order_by("-created_at", "-pk")
    seek = _seek_key(data, key, size)
    skip = (number - 1) * size
    if number > 1:
        earlier = range(max(1, number - SEEK_BACK), number)
        kept = cache.get_many([f"{seek}:{n}" for n in earlier])
        for n in reversed(earlier):
            mark = kept.get(f"{seek}:{n}")
            if mark is not None:
                at, pk = mark
                ordered = ordered.filter(created_at__lte=at).filter(
                    Q(created_at__lt=at) | Q(pk__lt=pk)
                )
                skip = (number - 1 - n) * size
                break
    page = records.load(ordered[skip : skip + size], key)
    if len(page) == size:
        cache.set(f"{seek}:{number}", (page[-1].created_at, page[-1].pk), SEEK_TTL)
    return page


@endpoint()
def request_detail(request, fmt, params, number: str):
    data = _check(DetailQueryForm(params))
    key = _key(data, required=False)
    found = records.load(records.readable(key).filter(number=number)[:1], key)
    if not found:
        raise Refused(404, _("No such service_request_id."))
    case = found[0]
    body = records.records([case], key, _absolute(request), extensions=bool(data.get("extensions")))
    return answer(fmt, "service_requests", "request", body)


@endpoint()
def token_detail(request, fmt, params, token: str):
    _check(KeyForm(params))
    submission = Submission.objects.select_related("case").filter(token=token).first()
    if submission is None:
        raise Refused(404, _("No such token."))
    body = [
        {
            "service_request_id": submission.case.number,
            "token": submission.token,
            # Beyond the spec: what came of the media_url (fetched after the answer).
            "media_status": submission.media_state,
            "media_error": submission.media_error,
        }
    ]
    return answer(fmt, "service_requests", "request", body)


def _place_for(data: dict, key: ApiKey) -> Area:
    """The place a GeoReport names: address_id (a grid, estate or building), else the place
    nearest to lat/long, else one whose name the address_string contains (the deepest)."""
    if data.get("address_id"):
        place = (
            Area.objects.filter(pk=data["address_id"], kind__in=PLACE_KINDS)
            .defer("boundary")
            .first()
        )
        if place is None:
            raise Refused(400, _("address_id: no such grid, estate or building."))
        return place
    if data.get("lat") is not None:
        place = nearest_place(data["lat"], data["long"])
        if place is None:
            raise Refused(400, _("lat/long: the location is outside every area we serve."))
        return place
    places = Area.objects.filter(kind__in=PLACE_KINDS)
    if key.area is not None:
        places = places.filter(path__startswith=key.area.path)
    place = (
        places.alias(text=Value(data["address_string"]), size=Length("name"))
        .filter(text__contains=F("name"), size__gte=2)
        .order_by("-depth", "-size")
        .first()
    )
    if place is None:
        raise Refused(
            400, _("address_string: no place of ours is named in it; send lat/long or address_id.")
        )
    return place


@endpoint(methods=("POST",))
def _post_request(request, fmt, params):
    form = GeoReportForm(params)
    form.is_valid()
    key = _key(form.cleaned_data if "api_key" in form.cleaned_data else {}, required=True)
    assert key is not None
    _rate(key)
    data = _check(form)
    attributes = attributes_from(params)
    idempotency_key = idempotency_from(request.headers, attributes)
    media = request.FILES.getlist("media")
    if len(media) > MAX_PHOTOS:
        raise ValidationError({"media": [_("At most %(n)s photos.") % {"n": MAX_PHOTOS}]})
    before = actions.filed_before(key, idempotency_key)
    if before is not None:
        # A retry of a POST already filed (its answer was lost): the same answer again.
        return _filed_answer(fmt, before)
    place = _place_for(data, key)
    if not actions.in_key_area(key, place.path):
        raise Refused(403, _("The location is outside the area of this key."))
    report = actions.GeoReport(
        service_code=data["service_code"],
        place=place,
        description=data.get("description") or "",
        lat=data.get("lat"),
        lng=data.get("long"),
        address=data.get("address_string") or "",
        first_name=data.get("first_name") or "",
        last_name=data.get("last_name") or "",
        phone=data.get("phone") or "",
        account_id=data.get("account_id") or "",
        media_url=data.get("media_url") or "",
        media=media,
        attributes=attributes,
        idempotency_key=idempotency_key,
    )
    try:
        submission, _created = actions.file_request(report, key=key)
    except ValidationError as exc:
        # The photo pipeline names its field `photos`; here the parameter is `media`.
        if hasattr(exc, "error_dict") and "photos" in exc.error_dict:
            raise ValidationError({"media": exc.message_dict["photos"]}) from exc
        raise
    return _filed_answer(fmt, submission)


def _filed_answer(fmt: str, submission: Submission) -> HttpResponse:
    body = [
        {
            "service_request_id": submission.case.number,
            "token": submission.token,
            "service_notice": "",
            "account_id": submission.account_id,
        }
    ]
    return answer(fmt, "service_requests", "request", body)


# --- servicerequestupdates (FixMyStreet) ---------------------------------------------------------


@csrf_exempt
def updates_view(request, fmt: str):
    return (_post_update if request.method == "POST" else _get_updates)(request, fmt=fmt)


@endpoint()
def _get_updates(request, fmt, params):
    data = _check(UpdatesQueryForm(params))
    key = _key(data, required=False)
    start, end = _window(data, default=timedelta(days=1))
    events = (
        CaseEvent.objects.filter(
            case__in=records.readable(key),
            at__gte=start,
            at__lte=end,
            action__in=records.PUBLIC_ACTIONS,
        )
        .select_related("case__handling_area", "case__handling_department")
        .only(*records.UPDATE_FIELDS)
        .order_by("at", "pk")[:MAX_PAGE_SIZE]
    )
    body = [records.update_record(e, key) for e in events]
    return answer(fmt, "service_request_updates", "request_update", body)


@endpoint(methods=("POST",))
def _post_update(request, fmt, params):
    form = UpdateForm(params)
    form.is_valid()
    key = _key(form.cleaned_data if "api_key" in form.cleaned_data else {}, required=True)
    assert key is not None
    _rate(key)
    data = _check(form)
    case = records.readable(key).filter(number=data["service_request_id"]).first()
    if case is None:
        raise Refused(404, _("No such service_request_id."))
    actions.post_update(
        case,
        key=key,
        status=data["status"],
        description=data.get("description") or "",
        rating=data.get("rating"),
    )
    event = CaseEvent.objects.filter(case=case).order_by("-at", "-pk").first()
    body = [{"update_id": str(event.pk) if event else ""}]
    return answer(fmt, "service_request_updates", "request_update", body)


def not_found(request, rest: str = ""):
    return errors("xml", 404, _("No such Open311 resource."))
