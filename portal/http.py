"""The one outbound HTTP call Linli makes: POST a JSON body with a bearer key to a partner (the
SMS gateway, the WeChat template gateway, the city 12345 platform). Standard library only: each
call is one short request from a Celery task or a form, with a timeout, and no session to keep."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

# 4xx answers that may succeed when resent: timeout, conflict, too early, rate limited.
_RETRYABLE_4XX = (408, 409, 425, 429)


class HttpError(Exception):
    """The partner did not accept the request. `status` is its HTTP status, None when it could
    not be reached at all; `body` is the start of its answer (for the log, never for users)."""

    def __init__(self, message: str, status: int | None = None, body: str = ""):
        super().__init__(message)
        self.status = status
        self.body = body

    @property
    def permanent(self) -> bool:
        """The partner refused this request as such (a 4xx other than the retryable ones):
        sending it again will not help."""
        return (
            self.status is not None
            and 400 <= self.status < 500
            and (self.status not in _RETRYABLE_4XX)
        )


def post_json(
    url: str, payload: dict, *, key: str, headers: dict[str, str] | None = None, timeout: float
) -> bytes:
    """POST `payload` as UTF-8 JSON with `Authorization: Bearer <key>` and any extra `headers`;
    return the answer's body. Raises HttpError for any answer but 2xx and for a network error or
    timeout."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"Bearer {key}",
            **(headers or {}),
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            if response.status >= 300:  # a redirect urllib did not follow
                raise HttpError(f"HTTP {response.status}", response.status, _text(body))
            return body
    except urllib.error.HTTPError as exc:
        raise HttpError(f"HTTP {exc.code}", exc.code, _text(exc.read())) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise HttpError(str(exc)) from exc


def _text(body: bytes) -> str:
    return body[:500].decode(errors="replace")
