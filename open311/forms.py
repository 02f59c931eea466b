"""The parameters of each Open311 call, as forms (portal.text's input rule on every text).
A form error becomes the spec's error envelope naming the parameter."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.text import TextFormMixin, check_text, too_long
from services.limits import ADDRESS_MAX, COMMENT_MAX, DESCRIPTION_MAX

MAX_PAGE_SIZE = 1000


class KeyForm(TextFormMixin, forms.Form):
    api_key = forms.CharField(max_length=200, required=False)
    jurisdiction_id = forms.CharField(max_length=100, required=False)


class DetailQueryForm(KeyForm):
    extensions = forms.BooleanField(required=False)


class RequestsQueryForm(KeyForm):
    """GET requests: the spec's filters and the page extension."""

    service_request_id = forms.CharField(max_length=20000, required=False)
    service_code = forms.CharField(max_length=2000, required=False)
    start_date = forms.DateTimeField(required=False)
    end_date = forms.DateTimeField(required=False)
    status = forms.CharField(max_length=20, required=False)
    page = forms.IntegerField(min_value=1, max_value=100000, required=False)
    page_size = forms.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False)
    # Chicago's extension: `extended_attributes` (notes, attributes) on each request.
    extensions = forms.BooleanField(required=False)


class UpdatesQueryForm(KeyForm):
    start_date = forms.DateTimeField(required=False)
    end_date = forms.DateTimeField(required=False)


class GeoReportForm(KeyForm):
    """POST requests. One location is required: lat+long, address_string or address_id."""

    service_code = forms.CharField(max_length=40)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90)
    long = forms.FloatField(required=False, min_value=-180, max_value=180)
    address_string = forms.CharField(max_length=ADDRESS_MAX, required=False)
    address_id = forms.IntegerField(required=False, min_value=1)
    email = forms.EmailField(max_length=254, required=False)
    device_id = forms.CharField(max_length=100, required=False)
    account_id = forms.CharField(max_length=100, required=False)
    first_name = forms.CharField(max_length=30, required=False)
    last_name = forms.CharField(max_length=30, required=False)
    phone = forms.CharField(max_length=20, required=False)
    description = forms.CharField(max_length=DESCRIPTION_MAX, required=False, widget=forms.Textarea)
    media_url = forms.URLField(max_length=500, required=False, assume_scheme="https")

    def clean(self):
        data = super().clean()
        has_point = data.get("lat") is not None or data.get("long") is not None
        if has_point and (data.get("lat") is None or data.get("long") is None):
            self.add_error("long", _("Send both lat and long."))
        located = has_point or data.get("address_string") or data.get("address_id")
        if not located and not self.has_error("lat") and not self.has_error("long"):
            self.add_error(None, _("Send a location: lat and long, address_string or address_id."))
        url = data.get("media_url") or ""
        if url and not url.lower().startswith(("http://", "https://")):
            self.add_error("media_url", _("Only http and https addresses are fetched."))
        return data


class UpdateForm(KeyForm):
    """POST servicerequestupdates (FixMyStreet's extension), plus `rating` (1-5)."""

    service_request_id = forms.CharField(max_length=40)
    status = forms.CharField(max_length=40)
    description = forms.CharField(max_length=COMMENT_MAX, required=False, widget=forms.Textarea)
    rating = forms.IntegerField(min_value=1, max_value=5, required=False)
    update_id = forms.CharField(max_length=100, required=False)
    updated_datetime = forms.DateTimeField(required=False)
    first_name = forms.CharField(max_length=30, required=False)
    last_name = forms.CharField(max_length=30, required=False)
    email = forms.EmailField(max_length=254, required=False)


# --- what a POST requests carries beyond the form ------------------------------------------------

ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,50})\](\[\])?$")
MAX_ATTRIBUTES = 50
ATTRIBUTE_VALUE_MAX = 1000
IDEMPOTENCY_MAX = 100
IDEMPOTENCY_HEADER = "Idempotency-Key"
FMS_ID = "fixmystreet_id"


def attributes_from(params) -> dict[str, str | list[str]]:
    """The spec's `attribute[code]=value` (and `attribute[code][]=value` for a multi-value
    list) as {code: value or [values]}. A malformed name, too many, or a bad value: a
    ValidationError naming the parameter."""
    out: dict[str, str | list[str]] = {}
    for name in params:
        if name != "attribute" and not name.startswith("attribute["):
            continue
        match = ATTRIBUTE.match(name)
        if match is None:
            raise ValidationError({name: [_("Send attributes as attribute[code]=value.")]})
        values = [str(v).strip() for v in params.getlist(name)]
        for value in values:
            if len(value) > ATTRIBUTE_VALUE_MAX:
                raise ValidationError({name: [too_long(ATTRIBUTE_VALUE_MAX)]})
            try:
                check_text(value)
            except ValidationError as exc:
                raise ValidationError({name: exc.messages}) from exc
        code = match.group(1)
        out[code] = values if match.group(2) else values[-1]
    if len(out) > MAX_ATTRIBUTES:
        raise ValidationError(
            {"attribute": [_("At most %(n)s attributes.") % {"n": MAX_ATTRIBUTES}]}
        )
    return out


def idempotency_from(headers, attributes: dict) -> str:
    """The client's name for a filing: the `Idempotency-Key` header (visible ASCII, at most
    100 characters), else FixMyStreet's `attribute[fixmystreet_id]` as "fms:<id>" (what
    FixMyStreet sends with every report, and sends again when it retries). Empty: none."""
    value = (headers.get(IDEMPOTENCY_HEADER) or "").strip()
    if value:
        if len(value) > IDEMPOTENCY_MAX or not value.isascii() or not value.isprintable():
            raise ValidationError(
                {
                    IDEMPOTENCY_HEADER: [
                        _("At most %(n)s visible ASCII characters.") % {"n": IDEMPOTENCY_MAX}
                    ]
                }
            )
        return value
    fms = attributes.get(FMS_ID)
    if isinstance(fms, str) and fms:
        if len(fms) > IDEMPOTENCY_MAX:
            raise ValidationError({f"attribute[{FMS_ID}]": [too_long(IDEMPOTENCY_MAX)]})
        return f"fms:{fms}"
    return ""
