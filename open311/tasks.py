"""Fetching a GeoReport's media_url (after the request was answered): with a timeout, at most
the photo pipeline's size, images only, never from a private or local address unless
LINLI["OPEN311_MEDIA_PRIVATE_OK"] (tests) says so; the result through open311.actions."""

from __future__ import annotations

import ipaddress
import logging
import socket
from urllib.parse import urlsplit

import requests
from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from open311 import actions
from open311.models import MediaState, Submission
from portal.photos import MAX_BYTES

logger = logging.getLogger("linli.open311")
TIMEOUT = (5, 10)  # connect, read (seconds)


def _public_host(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
            return False
    return True


def download(url: str) -> tuple[bytes | None, str]:
    """The body at `url`, or None and why not."""
    if not settings.LINLI.get("OPEN311_MEDIA_PRIVATE_OK") and not _public_host(url):
        return None, _("The media_url is not on a public address.")
    try:
        with requests.get(url, stream=True, timeout=TIMEOUT, allow_redirects=False) as reply:
            if reply.status_code != 200:
                return None, _("The media_url answered %(code)s.") % {"code": reply.status_code}
            kind = reply.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if not kind.startswith("image/"):
                return None, _("The media_url is not an image.")
            body = b""
            for chunk in reply.iter_content(64 * 1024):
                body += chunk
                if len(body) > MAX_BYTES:
                    return None, _("The media_url is larger than %(mb)s MB.") % {
                        "mb": MAX_BYTES // (1024 * 1024)
                    }
            return body, ""
    except requests.RequestException as exc:
        logger.info("media_url %s not fetched: %s", url, exc)
        return None, _("The media_url could not be fetched.")


@shared_task(acks_late=True, ignore_result=True)
def fetch_media(submission_id: int) -> str:
    """Fetch once: a submission no longer waiting is left alone (a message delivered twice)."""
    submission = Submission.objects.filter(pk=submission_id).first()
    if submission is None or submission.media_state != MediaState.PENDING:
        return "skipped"
    body, error = download(submission.media_url)
    content = ContentFile(body, name="media") if body is not None else None
    saved = actions.attach_media(submission.pk, content, error=error)
    return "saved" if saved else "refused"


@shared_task(ignore_result=True)
def pull_city_updates() -> int:
    """Beat, every few minutes: in Open311 mode, the city platform's updates of the last day
    (open311.client.pull_updates; idempotent). Nothing to do in the Linli mode."""
    from open311.client import pull_updates
    from services.city import CityError

    linli = settings.LINLI
    if linli.get("CITY_12345_MODE") != "open311" or not linli.get("CITY_12345_URL"):
        return 0
    try:
        return pull_updates(
            linli["CITY_12345_URL"],
            linli.get("CITY_12345_KEY", ""),
            linli.get("CITY_12345_JURISDICTION", ""),
        )
    except CityError as exc:
        logger.info("city updates not pulled: %s", exc)
        return 0
