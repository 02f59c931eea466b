"""One input discipline (issue 17, item 2; portal.text): every text field of every form,
serializer and admin takes the same rule, hostile text is a field error and never a 500, and
phone numbers are normalised and checked the same way everywhere."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from portal import text
from portal.text import TextValidator

PROJECT = ("portal", "grids", "centres", "services", "volunteers")
HUGE = "长" * 100_000
_HUGE = "<100,000 characters>"  # what hypothesis shows; replaced by HUGE when fed


def _import_project() -> None:
    for package in PROJECT:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if ".migrations" not in info.name and ".management" not in info.name:
                importlib.import_module(info.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _project_classes(base) -> list[type]:
    _import_project()
    found = {c for c in _subclasses(base) if c.__module__.split(".")[0] in PROJECT}
    concrete = [
        c
        for c in found
        # An abstract ModelForm base (no model): its admins are checked below.
        if not (issubclass(c, forms.BaseModelForm) and c._meta.model is None)
    ]
    return sorted(concrete, key=lambda c: f"{c.__module__}.{c.__qualname__}")


FORMS = _project_classes(forms.BaseForm)
SERIALIZERS = _project_classes(serializers.BaseSerializer)


def _form(cls, data):
    """The form as its page builds it: the desk's forms take their page's context."""
    from types import SimpleNamespace

    from django.contrib.auth.models import AnonymousUser

    from services.desk.case_forms import ActionForm
    from services.desk.intake_forms import DeskIntakeForm

    if issubclass(cls, ActionForm):
        page = SimpleNamespace(
            case=SimpleNamespace(
                version=1, pk=None, number="", state="submitted", is_malicious=False
            ),
            last_event=None,
            user=AnonymousUser(),
            situation=SimpleNamespace(joint_units=[]),
            target_choices=lambda **kwargs: [],
        )
        return cls(page, data=data)
    if issubclass(cls, DeskIntakeForm):
        return cls(data=data, user=AnonymousUser(), desk_channels=("hotline",))
    return cls(data=data)


def _serializer(cls, data, request):
    return cls(data=data, context={"request": request})


def _text_fields(form) -> list[str]:
    return [n for n, f in form.fields.items() if isinstance(f, forms.CharField)]


def _serializer_text_fields(serializer) -> list[str]:
    return [
        n
        for n, f in serializer.fields.items()
        if isinstance(f, serializers.CharField) and not f.read_only
    ]


# --- the rule itself ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,multiline,code",
    [
        ("路灯坏了", False, None),
        ("第一行\n第二行\t缩进", True, None),
        ("第一行\r\n第二行", True, None),
        ("a\x00b", True, "control_character"),
        ("a\x07b", True, "control_character"),
        ("a\x85b", True, "control_character"),  # C1 (NEL)
        ("a\x7fb", False, "control_character"),
        ("a\nb", False, "control_character"),  # no line break in a one-line field
        ("a\ud800b", True, "surrogate"),
        ("emoji 👍🏽 and 👨‍👩‍👧", False, None),  # joiners and modifiers are text
    ],
)
def test_the_rule(value, multiline, code):
    assert text.problem(value, multiline=multiline) == code


def test_clean_text_names_the_field_and_the_limit():
    assert text.clean_text("  行一\r\n行二  ", field="note", max_length=10, multiline=True) == (
        "行一\n行二"
    )
    with pytest.raises(ValidationError) as exc:
        text.clean_text("x\x00", field="note", max_length=10)
    assert "note" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        text.clean_text("x" * 11, field="note", max_length=10)
    assert "note" in exc.value.message_dict
    with pytest.raises(ValidationError):
        text.clean_text({"a": 1}, field="note", max_length=10)


@pytest.mark.parametrize(
    "typed,expected",
    [
        ("13912345678", "13912345678"),
        ("139 1234 5678", "13912345678"),
        ("139-1234-5678", "13912345678"),
        ("１３９１２３４５６７８", "13912345678"),  # full-width
        ("١٣٩١٢٣٤٥٦٧٨", "13912345678"),  # Arabic-Indic
        ("+86 139 1234 5678", "13912345678"),
        ("(0595) 2234 5678", "059522345678"),
        ("010-62345678", "01062345678"),
        ("400-123-4567", "4001234567"),
    ],
)
def test_phone_numbers_are_normalised(typed, expected):
    assert text.clean_phone(typed) == expected


@pytest.mark.parametrize(
    "typed", ["1391234567a", "abc", "12345", "23912345678", "139123456789", "phone: 139"]
)
def test_bad_phone_numbers_are_refused(typed):
    with pytest.raises(ValidationError):
        text.clean_phone(typed)


def test_landlines_only_where_allowed():
    assert text.clean_phone("0595-2234567") == "05952234567"
    with pytest.raises(ValidationError):
        text.clean_phone("0595-2234567", landline=False)


# --- every form, serializer and admin carries it ----------------------------------------------------


def test_the_walk_finds_the_project_forms_and_serializers():
    names = {c.__name__ for c in FORMS}
    assert {"CaseForm", "CallbackForm", "BookingForm", "RegisterForm", "ResidentChangeForm"} <= (
        names
    )
    assert {"IntakeSerializer", "CoBuildingOrderCreateSerializer", "TeamMemberSerializer"} <= {
        c.__name__ for c in SERIALIZERS
    }


@pytest.mark.django_db
@pytest.mark.parametrize("cls", FORMS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_form_text_field_takes_the_rule(cls):
    form = _form(cls, {})
    for name in _text_fields(form):
        field = form.fields[name]
        assert any(isinstance(v, TextValidator) for v in field.validators), (
            f"{cls.__name__}.{name}: inherit portal.text.TextFormMixin"
        )
        assert field.max_length is not None, f"{cls.__name__}.{name} has no length limit"


@pytest.mark.parametrize("cls", SERIALIZERS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_serializer_text_field_takes_the_rule(cls):
    serializer = _serializer(cls, {}, None)
    for name in _serializer_text_fields(serializer):
        field = serializer.fields[name]
        assert any(isinstance(v, TextValidator) for v in field.validators), (
            f"{cls.__name__}.{name}: inherit portal.text.TextSerializerMixin"
        )
        assert field.max_length is not None, f"{cls.__name__}.{name} has no length limit"


def _project_admins():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in PROJECT:
            yield model, model_admin


def test_every_project_admin_and_inline_carries_the_rule():
    from portal.text import TextAdminMixin

    for _model, model_admin in _project_admins():
        assert isinstance(model_admin, TextAdminMixin), type(model_admin).__name__
        for inline in model_admin.inlines:
            assert issubclass(inline, TextAdminMixin), inline.__name__


@pytest.mark.django_db
def test_every_admin_form_text_field_takes_the_rule(django_user_model):
    root = django_user_model.objects.create_superuser("root-text", password="x" * 12)
    request = RequestFactory().get("/admin/")
    request.user = root
    checked = 0
    for _model, model_admin in _project_admins():
        if not (
            model_admin.has_add_permission(request) or model_admin.has_change_permission(request)
        ):
            continue
        form = model_admin.get_form(request)()
        for name in _text_fields(form):
            field = form.fields[name]
            assert any(isinstance(v, TextValidator) for v in field.validators), (
                f"{type(model_admin).__name__}.{name}: the admin must carry TextAdminMixin"
            )
            checked += 1
    assert checked > 20


# --- hostile text never breaks anything --------------------------------------------------------------

# Text with what the review sent: NUL and other controls, unpaired surrogates, huge strings.
hostile = st.one_of(
    st.text(
        st.one_of(
            st.characters(),
            st.characters(categories=["Cc", "Cs"]),
            st.sampled_from(["\x00", "\ud800", "\udfff", "\x1b", "\u202e", "\r"]),
        ),
        min_size=1,
        max_size=40,
    ),
    st.just(_HUGE),
    st.just("正常" + "\x00" * 3),
)
FUZZ = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _expect_refused(value: str, errors: dict, name: str, max_length: int | None) -> None:
    # Leading and trailing white space (some controls count as such) is stripped first.
    kept = value.strip()
    bad = text.problem(kept, multiline=True) is not None
    too_long = max_length is not None and len(kept) > max_length
    if bad or too_long:
        assert name in errors, f"{name}: {value[:20]!r} was accepted"


@pytest.mark.django_db
@pytest.mark.parametrize("cls", FORMS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_hostile_text_in_any_form_field_is_a_field_error(cls):
    names = _text_fields(_form(cls, {}))
    if not names:
        return  # nothing to feed (a form of choices and numbers only)

    @FUZZ
    @given(value=hostile, pick=st.integers(min_value=0, max_value=len(names) - 1))
    def run(value, pick):
        name, value = names[pick], HUGE if value == _HUGE else value
        form = _form(cls, {name: value})
        form.is_valid()  # must not raise
        _expect_refused(value, form.errors, name, form.fields[name].max_length)

    run()


@pytest.mark.django_db
@pytest.mark.parametrize("cls", SERIALIZERS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_hostile_text_in_any_serializer_field_is_a_field_error(cls, django_user_model):
    root = django_user_model.objects.create_superuser("root-fuzz", password="x" * 12)
    request = RequestFactory().post("/api/")
    request.user = root
    names = _serializer_text_fields(_serializer(cls, {}, request))
    if not names:
        return

    @FUZZ
    @given(value=hostile, pick=st.integers(min_value=0, max_value=len(names) - 1))
    def run(value, pick):
        name, value = names[pick], HUGE if value == _HUGE else value
        serializer = _serializer(cls, {name: value}, request)
        serializer.is_valid()  # must not raise
        _expect_refused(value, serializer.errors, name, serializer.fields[name].max_length)

    run()
