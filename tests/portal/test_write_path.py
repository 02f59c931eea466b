"""The write path is enforced, not promised: no registered admin lets the generic form add,
change or delete a model that domain operations own, unless it is wired to one of them."""

from __future__ import annotations

import importlib
import inspect

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.test import RequestFactory

from portal.write_path import WritePathMixin, written_by

# The methods through which the generic admin writes, per verb; a wired admin overrides them.
WRITERS = {
    "add": ("save_model",),
    "change": ("save_model",),
    "delete": ("delete_model", "delete_queryset"),
}
INLINE_WRITERS = {
    "add": ("save_formset",),
    "change": ("save_formset",),
    "delete": ("save_formset",),
}
FRAMEWORK_PACKAGES = {"django", "treebeard", "import_export", "portal"}


def _defined_here(cls: type, name: str) -> bool:
    """Is `name` defined by the project's admin class, not by Django, a library or the mixins?"""
    for klass in cls.__mro__:
        if name in vars(klass):
            return klass.__module__.split(".")[0] not in FRAMEWORK_PACKAGES
    return False


def _permissions(model_admin, request) -> dict[str, bool]:
    if isinstance(model_admin, InlineModelAdmin):
        add = model_admin.has_add_permission(request, None)
    else:
        add = model_admin.has_add_permission(request)
    return {
        "add": add,
        "change": model_admin.has_change_permission(request, None),
        "delete": model_admin.has_delete_permission(request, None),
    }


def _admins():
    """Every registered model admin, and every inline of one, with the admin it sits in."""
    for model, model_admin in admin.site._registry.items():
        yield model, model_admin, None
        for inline_class in model_admin.inlines:
            inline = inline_class(model, admin.site)
            yield inline.model, inline, model_admin


def _problems(superuser) -> list[str]:
    request = RequestFactory().get("/admin/")
    request.user = superuser
    problems = []
    for model, model_admin, parent in _admins():
        module_name = written_by(model)
        if module_name is None:
            continue
        module = importlib.import_module(module_name)
        label = f"{type(model_admin).__name__} ({model._meta.label})"
        for verb, allowed in _permissions(model_admin, request).items():
            if not allowed:
                continue
            operation = getattr(model_admin, f"{verb}_via", None)
            if not operation or not callable(getattr(module, operation, None)):
                problems.append(f"{label}: {verb} is open without an operation of {module_name}")
                continue
            owner = parent if parent is not None else model_admin
            writers = INLINE_WRITERS if parent is not None else WRITERS
            problems += [
                f"{label}: {verb} names {operation} but {name} is Django's"
                for name in writers[verb]
                if not _defined_here(type(owner), name)
            ]
    return problems


@pytest.mark.django_db
def test_no_admin_writes_a_model_that_operations_own(django_user_model):
    superuser = django_user_model.objects.create_superuser("root-walk", password="x" * 12)
    assert _problems(superuser) == []


def test_models_with_operations_name_a_module_that_exists():
    owned = [m for m in apps.get_models() if written_by(m)]
    # The apps whose rows only their operations change: cases, bookings, the ledger, teams...
    assert {m._meta.app_label for m in owned} >= {"centres", "services", "volunteers", "grids"}
    for model in owned:
        module = importlib.import_module(written_by(model))
        assert inspect.ismodule(module), model


def test_every_admin_carries_the_write_path():
    for model, model_admin, _parent in _admins():
        if written_by(model):
            assert isinstance(model_admin, WritePathMixin), type(model_admin).__name__
