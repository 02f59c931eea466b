"""One input discipline for text and phone numbers, for every form, serializer and page.

The rule (docs/architecture.md, "Input"):

- Refused with a field error: NUL and every other control character (C0, DEL, C1) — except
  tab and line breaks in multi-line text — and unpaired surrogates (what a JSON "\\ud800"
  escape produces). PostgreSQL cannot store NUL at all; the others corrupt exports, logs and
  the city platform's XML. Nothing is silently dropped from what a person wrote.
- Changed where harmless: leading and trailing white space is stripped (Django's default), and
  in multi-line text "\\r\\n" and a lone "\\r" become "\\n".
- The same length limit in the API as in the form: both declare the same constant.
- Query strings (searches, filters) follow the same rule: RefuseControlCharactersMiddleware
  answers 400 naming the parameter.

Phone numbers are normalised (full-width and other Unicode digits to ASCII; spaces, dashes,
dots and brackets removed; a +86 prefix dropped) and must then be a mainland mobile number
(1[3-9] and nine digits) or, where a landline is allowed, an area code and number
(010-12345678, 0595-2345678) or a 400/800 service number.

Forms inherit `TextFormMixin`, serializers `TextSerializerMixin`, admins `TextAdminMixin`
(through portal.write_path.WritePathMixin): each adds `TextValidator` to every text field, so
no form has to remember. tests/portal/test_text.py walks every form and serializer of the
project to prove it, and feeds them hostile text.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

# C0 controls but tab, line feed and carriage return; DEL; C1 controls.
_CONTROL_MULTI = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_SINGLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Text without a limit of its own (a model TextField in the admin or the API, a serializer's
# CharField that names none) takes at most this many characters: the longest any form takes
# (a case's description).
TEXT_MAX_LENGTH = 4000


def problem(value: str, *, multiline: bool = False) -> str | None:
    """ "surrogate" or "control_character" when `value` breaks the rule, else None."""
    if _SURROGATE.search(value):
        return "surrogate"
    if (_CONTROL_MULTI if multiline else _CONTROL_SINGLE).search(value):
        return "control_character"
    return None


MESSAGES = {
    "control_character": gettext_lazy(
        "This text contains a control character (such as NUL) that cannot be stored. "
        "Remove it and try again."
    ),
    "surrogate": gettext_lazy(
        "This text contains a broken character (an unpaired surrogate). Type it again."
    ),
}


def check_text(value: str, *, multiline: bool = False) -> None:
    """Raise ValidationError (with the rule's code) when `value` breaks the rule."""
    code = problem(value, multiline=multiline)
    if code is not None:
        raise ValidationError(MESSAGES[code], code=code)


def normalise_newlines(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n")


def too_long(max_length: int) -> str:
    return _("At most %(n)s characters.") % {"n": f"{max_length:,}"}


def clean_text(
    value: Any, *, field: str, max_length: int, multiline: bool = False, required: bool = False
) -> str:
    """The rule for code that reads raw values (a transition's note, a POST field): the
    cleaned text, or ValidationError({field: ...}) naming the field."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: _("Enter text.")})
    code = problem(value, multiline=multiline)
    if code is not None:
        raise ValidationError({field: MESSAGES[code]})
    value = value.strip()
    if multiline:
        value = normalise_newlines(value)
    if len(value) > max_length:
        raise ValidationError({field: too_long(max_length)})
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    return value


@deconstructible
class TextValidator:
    """The rule as a validator, for form fields, serializer fields and model fields."""

    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        if isinstance(value, str):
            check_text(value, multiline=self.multiline)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextValidator) and other.multiline == self.multiline


def _has_rule(validators) -> bool:
    return any(isinstance(v, TextValidator) for v in validators)


class TextField(forms.CharField):
    """A form's text field under the rule. Multi-line when its widget is a Textarea."""

    def __init__(self, *, multiline: bool | None = None, **kwargs):
        super().__init__(**kwargs)
        self.multiline = isinstance(self.widget, forms.Textarea) if multiline is None else multiline
        self.validators.append(TextValidator(self.multiline))

    def to_python(self, value):
        value = super().to_python(value)
        return normalise_newlines(value) if self.multiline and isinstance(value, str) else value


class TextSerializerField(serializers.CharField):
    """A serializer's text field under the rule (multi-line with `multiline=True`)."""

    def __init__(self, *, multiline: bool = False, **kwargs):
        self.multiline = multiline
        if multiline:
            kwargs.setdefault("style", {"base_template": "textarea.html"})
        super().__init__(**kwargs)
        self.validators.append(TextValidator(multiline))

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return normalise_newlines(value) if self.multiline else value


# --- applying the rule to whole forms, serializers and admins -------------------------------------


def harden_form_field(field: forms.Field) -> forms.Field:
    """Put the rule on one form field when it takes text (CharField and its kin); multi-line
    text without a limit of its own gets TEXT_MAX_LENGTH."""
    if isinstance(field, forms.CharField) and not _has_rule(field.validators):
        multiline = isinstance(field.widget, forms.Textarea)
        field.validators.append(TextValidator(multiline))
        if multiline and field.max_length is None:
            field.max_length = TEXT_MAX_LENGTH
            field.validators.append(MaxLengthValidator(TEXT_MAX_LENGTH))
            field.widget.attrs.setdefault("maxlength", str(TEXT_MAX_LENGTH))
    return field


def harden_form(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        harden_form_field(field)


class TextFormMixin:
    """Mixed into every form of the project (before forms.Form / forms.ModelForm)."""

    fields: dict[str, forms.Field]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            harden_form_field(field)


def harden_serializer_field(field: serializers.Field) -> serializers.Field:
    """Put the rule on one serializer field that takes text; every writable text field gets a
    length limit (TEXT_MAX_LENGTH when it names none)."""
    if isinstance(field, serializers.CharField) and not field.read_only:
        if not _has_rule(field.validators):
            style = getattr(field, "style", {}) or {}
            multiline = style.get("base_template") == "textarea.html" or bool(
                getattr(field, "multiline", False)
            )
            field.validators.append(TextValidator(multiline))
        if field.max_length is None:
            field.max_length = TEXT_MAX_LENGTH
            field.validators.append(MaxLengthValidator(TEXT_MAX_LENGTH))
    elif isinstance(field, serializers.ListField) and field.child is not None:
        harden_serializer_field(field.child)
    return field


class TextSerializerMixin:
    """Mixed into every serializer of the project: writable text fields get the rule and a
    length limit (TEXT_MAX_LENGTH unless they name one), model phone fields the phone rule."""

    def get_fields(self):
        fields = super().get_fields()  # type: ignore[misc]
        for field in fields.values():
            harden_serializer_field(field)
        return fields

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)  # type: ignore[misc]
        if is_phone_field(model_field) and issubclass(field_class, serializers.CharField):
            field_class = PhoneSerializerField
            kwargs["landline"] = not is_mobile_only(model_field)
            kwargs.pop("max_length", None)
        return field_class, kwargs


class TextAdminMixin:
    """Mixed into every admin (portal.write_path.WritePathMixin carries it): text fields take
    the rule, phone fields the phone rule, image fields the photo pipeline."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if is_phone_field(db_field) and "form_class" not in kwargs:
            kwargs["form_class"] = PhoneField
            kwargs["landline"] = not is_mobile_only(db_field)
        elif isinstance(db_field, models.ImageField) and "form_class" not in kwargs:
            from portal.photos import PhotoField

            # Every image uploaded in the admin goes through the one photo pipeline.
            kwargs["form_class"] = PhotoField
        field = super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
        if field is not None:
            harden_form_field(field)
        return field

    # Fields a form declares itself (a password, an operation's reason) are not built from
    # model fields: the form class's fields are checked as well.
    def get_form(self, request, obj=None, *args, **kwargs):
        form = super().get_form(request, obj, *args, **kwargs)  # type: ignore[misc]
        for field in form.base_fields.values():
            harden_form_field(field)
        return form

    def get_formset(self, request, obj=None, *args, **kwargs):
        formset = super().get_formset(request, obj, *args, **kwargs)  # type: ignore[misc]
        for field in formset.form.base_fields.values():
            harden_form_field(field)
        return formset


# --- query strings ---------------------------------------------------------------------------------


class RefuseControlCharactersMiddleware:
    """Searches and filters take the same rule as forms: a query string with a control
    character or a broken one is a 400 naming the parameter (JSON under /api/), before any
    view hands it to the database (which cannot take NUL)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, values in request.GET.lists():
            for value in [name, *values]:
                code = problem(value)
                if code is not None:
                    return self._refuse(request, name, str(MESSAGES[code]))
        return self.get_response(request)

    def _refuse(self, request, name: str, message: str):
        shown = _CONTROL_SINGLE.sub("?", _SURROGATE.sub("?", name))[:50]
        if request.path.startswith("/api/"):
            return JsonResponse({shown: [message]}, status=400)
        if request.path.startswith("/open311/"):  # the GeoReport error envelope
            from open311.render import errors

            fmt = "json" if request.path.endswith(".json") else "xml"
            return errors(fmt, 400, f"{shown}: {message}")
        return render(
            request, "portal/bad_request.html", {"field": shown, "message": message}, status=400
        )


# --- phone numbers ---------------------------------------------------------------------------------

_PHONE_PUNCTUATION = re.compile(r"[\s\-‐‑‒–—―−.·()（）/]")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# An area code (010, 02x, 0xxx) and a 7- or 8-digit number; or a 400/800 service number.
LANDLINE_RE = re.compile(r"^(0[1-9]\d{1,2}[2-9]\d{6,7}|[48]00\d{7})$")
PHONE_MAX_LENGTH = 20


def normalise_phone(value: str) -> str:
    """Digits only: full-width and other Unicode digits become ASCII; spaces, dashes, dots and
    brackets go; a +86 / 0086 prefix is dropped. Anything else is kept (and then refused)."""
    value = unicodedata.normalize("NFKC", value or "")
    out = []
    for ch in value:
        if ch.isdigit() and not ch.isascii():
            ch = str(unicodedata.digit(ch, ch))
        out.append(ch)
    digits = _PHONE_PUNCTUATION.sub("", "".join(out))
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix) and len(digits) > len(prefix) + 9:
            digits = digits[len(prefix) :]
    return digits


def clean_phone(value: str, *, landline: bool = True) -> str:
    """The normalised number, or ValidationError (in Chinese) saying what is expected."""
    digits = normalise_phone(value)
    if MOBILE_RE.match(digits) or (landline and LANDLINE_RE.match(digits)):
        return digits
    if landline:
        raise ValidationError(
            _("Enter a mobile number (11 digits) or a landline with its area code."),
            code="invalid_phone",
        )
    raise ValidationError(_("Enter an 11-digit mobile number."), code="invalid_phone")


# Model phone fields: every CharField whose name ends in "phone". These take mobiles only
# (logins and SMS go to them).
MOBILE_ONLY = {("portal", "user", "phone"), ("volunteers", "volunteer", "phone")}


def is_phone_field(model_field) -> bool:
    return isinstance(model_field, models.CharField) and model_field.name.endswith("phone")


def is_mobile_only(model_field) -> bool:
    opts = model_field.model._meta
    return (opts.app_label, opts.model_name, model_field.name) in MOBILE_ONLY


class PhoneField(forms.CharField):
    """A form's phone field: normalised, then a mobile (or, with `landline`, a landline)."""

    def __init__(self, *, landline: bool = True, **kwargs):
        kwargs["max_length"] = max(kwargs.get("max_length") or 0, 40)  # before normalising
        super().__init__(**kwargs)
        self.landline = landline
        self.widget.attrs.setdefault("inputmode", "tel")
        self.widget.attrs.setdefault("autocomplete", "tel")
        self.validators.append(TextValidator(False))

    def clean(self, value):
        value = super().clean(value)
        return clean_phone(value, landline=self.landline) if value else value


class PhoneSerializerField(serializers.CharField):
    """A serializer's phone field, the same rule as PhoneField."""

    def __init__(self, *, landline: bool = True, **kwargs):
        kwargs["max_length"] = 40
        super().__init__(**kwargs)
        self.landline = landline
        self.validators.append(TextValidator(False))

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not value:
            return value
        try:
            return clean_phone(value, landline=self.landline)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
