"""The city-12345 link in Open311 mode (LINLI["CITY_12345_MODE"] = "open311"): the outbox's
events (services.city: in order per case, retried with backoff, nothing lost) are sent as
GeoReport v2 calls instead of Linli's own JSON.

- a case collected → POST {CITY_12345_URL}/requests.json (form-encoded, the key as `api_key`):
  `service_code` is the category's code, the position, address and description as filed, our
  number as `attribute[linli_number]`. The platform's `service_request_id` is kept as the
  city reference (services.actions.record_city_update), which later updates name.
- a change of state → POST {CITY_12345_URL}/servicerequestupdates.json (FixMyStreet's
  extension): `update_id` is the outbox event's id (the platform drops a repeat),
  `service_request_id` the platform's, `status` the extended status, `description` the note.

Names and phone numbers are not sent: the platform gets what the case is about, not who.
Pulling the platform's updates on a schedule is not done yet (the signed webhook stays)."""

from __future__ import annotations

import json

import requests

from open311.records import EXTENDED_STATUS
from open311.render import iso
from services.city import CityError
from services.models import Category, CityLink


def _permanent(status: int) -> bool:
    return 400 <= status < 500 and status not in (408, 409, 425, 429)


class GeoReportClient:
    """Sends one outbox event as a GeoReport call; raises CityError as services.city expects."""

    def __init__(self, url: str, key: str, jurisdiction: str = "", timeout: float = 10):
        self.url, self.key, self.jurisdiction, self.timeout = (
            url.rstrip("/"),
            key,
            jurisdiction,
            timeout,
        )

    def _post(self, path: str, data: dict) -> list:
        data = {"api_key": self.key, **data}
        if self.jurisdiction:
            data["jurisdiction_id"] = self.jurisdiction
        try:
            reply = requests.post(
                f"{self.url}/{path}", data=data, timeout=self.timeout, allow_redirects=False
            )
        except requests.RequestException as exc:
            raise CityError(str(exc)) from exc
        if reply.status_code != 200:
            raise CityError(
                f"HTTP {reply.status_code}: {reply.text[:300]}",
                permanent=_permanent(reply.status_code),
            )
        try:
            body = json.loads(reply.content)
        except ValueError as exc:
            raise CityError(f"not JSON: {reply.text[:300]}", permanent=True) from exc
        return body if isinstance(body, list) else [body]

    def send(self, event: dict) -> None:
        if event.get("kind") == "collected":
            self._collected(event)
        else:
            self._status(event)

    def _collected(self, event: dict) -> None:
        from services import actions

        category_id = event.get("category") or 0
        code = Category.objects.filter(pk=category_id).values_list("code", flat=True)
        data = {
            "service_code": code.first() or "",
            "description": event.get("description") or "",
            "address_string": event.get("address") or "",
            "attribute[linli_number]": event["case"],
        }
        if event.get("lat") is not None and event.get("lng") is not None:
            data.update(lat=event["lat"], long=event["lng"])
        answer = self._post("requests.json", data)
        remote = str((answer[0] if answer else {}).get("service_request_id") or "")
        if not remote:
            # A batch platform answers a token only: nothing to name the updates by yet.
            raise CityError("no service_request_id in the answer", permanent=True)
        actions.record_city_update(event["case"], reference=remote)

    def _status(self, event: dict) -> None:
        remote = (
            CityLink.objects.filter(case__number=event["case"])
            .values_list("reference", flat=True)
            .first()
        )
        if not remote:
            raise CityError("the platform's service_request_id is not known", permanent=True)
        from django.utils.dateparse import parse_datetime

        at = parse_datetime(event.get("at") or "")
        self._post(
            "servicerequestupdates.json",
            {
                "update_id": event["event_id"],
                "service_request_id": remote,
                "status": EXTENDED_STATUS.get(event.get("state") or "", "OPEN"),
                "updated_datetime": iso(at) if at else "",
                "description": event.get("note") or "",
                "external_status_code": event.get("action") or "",
            },
        )


# --- pulling the platform's updates ---------------------------------------------------------------

PULL_WINDOW_HOURS = 24  # each pull reads the last day: a missed run or two loses nothing


def pull_updates(url: str, key: str, jurisdiction: str = "", timeout: float = 10) -> int:
    """Read the platform's servicerequestupdates of the last day and record each on the case
    it names (by the city reference) through services.actions.record_city_update: the status
    as the city's dispatch decision, the description as its result once FIXED or CLOSED.
    Idempotent: a word already recorded is not written again. Returns how many were new."""
    from datetime import timedelta

    from django.utils import timezone

    from services import actions

    params = {
        "api_key": key,
        "start_date": iso(timezone.now() - timedelta(hours=PULL_WINDOW_HOURS)),
    }
    if jurisdiction:
        params["jurisdiction_id"] = jurisdiction
    try:
        reply = requests.get(
            f"{url.rstrip('/')}/servicerequestupdates.json", params=params, timeout=timeout
        )
        reply.raise_for_status()
        updates = json.loads(reply.content)
    except (requests.RequestException, ValueError) as exc:
        raise CityError(f"updates not read: {exc}") from exc
    references = {
        str(u.get("service_request_id") or "") for u in updates if isinstance(u, dict)
    } - {""}
    numbers = dict(
        CityLink.objects.filter(reference__in=references).values_list("reference", "case__number")
    )
    # The latest word per request only: CityLink keeps the city's current decision and its
    # result, so a re-read of the same day changes nothing.
    latest: dict[str, dict] = {}
    for update in updates:
        if not isinstance(update, dict):
            continue
        reference = str(update.get("service_request_id") or "")
        if reference in numbers and str(update.get("updated_datetime") or "") >= str(
            latest.get(reference, {}).get("updated_datetime") or ""
        ):
            latest[reference] = update
    new = 0
    for reference, update in latest.items():
        number = numbers[reference]
        status = str(update.get("status") or "").upper()[:40]
        text = str(update.get("description") or "")[:2000]
        dispatch = f"{status}: {text}"[:200] if text else status
        result = text if status in ("FIXED", "CLOSED") else ""
        before = CityLink.objects.filter(case__number=number).values("dispatch", "result").first()
        if before and before["dispatch"] == dispatch and (not result or before["result"] == result):
            continue
        actions.record_city_update(number, dispatch=dispatch, result=result)
        new += 1
    return new
