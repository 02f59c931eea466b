"""Runs the permission matrix (tests/matrix.py) over every registered model of every app."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.urls import NoReverseMatch, reverse

from grids.scope import may
from portal.write_path import written_by
from tests.matrix import ROLES_A, changed_form_data, load, load_pages, place, row, unregistered

ENTRIES = load()
PAGES = load_pages()
FORBIDDEN_OR_MISSING = {403, 404}


def _admin_url(entry, name, *args):
    opts = entry.model._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{name}", args=args)
    except NoReverseMatch:
        return None


def _listed_pks(client, entry) -> set | None:
    url = _admin_url(entry, "changelist")
    response = client.get(url, entry.list_params)
    if response.status_code in (302, 403):
        return None
    assert response.status_code == 200, (entry.name, response.status_code)
    cl = response.context["cl"]
    return {o.pk for o in cl.queryset}


def _api_pks(client, entry) -> set | None:
    response = client.get(entry.api, {"page_size": 500})
    if response.status_code in (401, 403):
        return None
    assert response.status_code == 200, (entry.name, response.content[:200])
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
@pytest.mark.parametrize("role", ROLES_A)
def test_no_role_reads_or_writes_across_the_siblings(client, territory, entry, role):
    a0, a1, b0 = place(territory, "a", 0), place(territory, "a", 1), place(territory, "b", 0)
    obj_a0, obj_a1, obj_b0 = entry.factory(a0), entry.factory(a1), entry.factory(b0)
    user = territory.user(role)
    if user is not None:
        client.force_login(user)
    base_role = role.removesuffix("_a")
    sees_a = role in ("superuser", "district", "street") or base_role in entry.viewers
    sees_b = role in ("superuser", "district", "street")
    sees_a1 = sees_a and not (base_role == "grid" and entry.grid_level)

    # The scope itself (what every admin, API and page filters through): nothing of the
    # sibling community reaches a role that does not cover both, whether or not the model has
    # an admin or API of its own (inline rows, notices, ledger entries).
    manager = entry.model._default_manager
    if not sees_b and hasattr(manager, "visible_to"):  # else scoped through its admin's queryset
        visible = manager.visible_to(user or AnonymousUser())
        assert not visible.filter(pk=obj_b0.pk).exists(), (entry.name, role, "visible_to")

    if entry.admin and _admin_url(entry, "changelist"):
        for obj, visible in ((obj_a0, sees_a), (obj_a1, sees_a1), (obj_b0, sees_b)):
            change = _admin_url(entry, "change", obj.pk)
            status = client.get(change).status_code
            if visible:
                assert status == 200, (entry.name, role, obj, status)
            else:
                assert status in FORBIDDEN_OR_MISSING | {302}, (entry.name, role, obj, status)
                if status != 302:  # 302: not staff, sent to the login page
                    assert client.post(change, {}).status_code in FORBIDDEN_OR_MISSING
                    delete = _admin_url(entry, "delete", obj.pk)
                    assert client.post(delete, {"post": "yes"}).status_code in (
                        FORBIDDEN_OR_MISSING
                    )
        listed = _listed_pks(client, entry)
        if listed is not None:
            assert (obj_a0.pk in listed) == sees_a, (entry.name, role)
            assert (obj_a1.pk in listed) == sees_a1, (entry.name, role)
            assert (obj_b0.pk in listed) == sees_b, (entry.name, role)
        # Nothing was deleted or changed by the refused writes.
        assert entry.model._default_manager.filter(pk=obj_b0.pk).exists()
        if sees_a:
            _refused_writes_inside_the_scope(client, entry, user, obj_a0)

    if entry.api:
        for obj, visible in ((obj_a0, sees_a), (obj_a1, sees_a1), (obj_b0, sees_b)):
            status = client.get(f"{entry.api}{obj.pk}/").status_code
            if visible:
                assert status == 200, (entry.name, role, status)
            else:
                assert status in FORBIDDEN_OR_MISSING, (entry.name, role, status)
        listed = _api_pks(client, entry)
        if listed is not None:
            assert (obj_b0.pk in listed) == sees_b, (entry.name, role)
            assert (obj_a0.pk in listed) == sees_a, (entry.name, role)

    if entry.check_pages:
        entry.check_pages(client, role, [(obj_a0, sees_a), (obj_a1, sees_a1), (obj_b0, sees_b)])
    if entry.pages or entry.posts:
        _pages(client, entry, role, user, ((obj_a0, sees_a), (obj_a1, sees_a1), (obj_b0, sees_b)))


def _pages(client, entry, role, user, objects) -> None:
    """The entry's own pages and POSTs (tests/matrix.py: `pages`, `posts`)."""
    base_role = role.removesuffix("_a")
    served = entry.page_roles is None or base_role in entry.page_roles
    for obj, visible in objects:
        for url_of in entry.pages:
            status = client.get(url_of(obj)).status_code
            if user is None:
                assert status == 302, (entry.name, role, url_of(obj), status)
            elif visible and served:
                assert status == 200, (entry.name, role, url_of(obj), status)
            else:
                assert status == 404, (entry.name, role, url_of(obj), status)
        if visible:
            continue
        for url_of in entry.posts:
            before = row(obj)
            status = client.post(url_of(obj), {"reason": "矩阵", "note": "矩阵"}).status_code
            expected = 302 if user is None else 404
            assert status == expected, (entry.name, role, url_of(obj), status)
            assert row(obj) == before, (entry.name, role, url_of(obj))


def _refused(user, model, verb: str) -> bool:
    """Must the admin refuse this verb on an object the user sees? When the role may not use
    the verb on the model at all, or when domain operations own the model and its admin names
    none for the verb (portal.write_path)."""
    model_admin = admin.site._registry.get(model)
    unwired = written_by(model) is not None and not getattr(model_admin, f"{verb}_via", None)
    return unwired or not may(user, verb, model)


def _refused_writes_inside_the_scope(client, entry, user, obj) -> None:
    """POST a changed form and the delete confirmation for an object the user sees: when the
    admin must refuse, the answer is 403/404 and the row is exactly as it was."""
    change = _admin_url(entry, "change", obj.pk)
    before = row(obj)
    if _refused(user, entry.model, "change"):
        page = client.get(change)
        form = page.context["adminform"].form if page.status_code == 200 else None
        data = changed_form_data(form) if form is not None else {}
        status = client.post(change, data).status_code
        assert status in FORBIDDEN_OR_MISSING, (entry.name, "change", status)
        assert row(obj) == before, (entry.name, "change")
    if _refused(user, entry.model, "delete"):
        status = client.post(_admin_url(entry, "delete", obj.pk), {"post": "yes"}).status_code
        assert status in FORBIDDEN_OR_MISSING, (entry.name, "delete", status)
        assert row(obj) == before, (entry.name, "delete")


# Scoped models that are one copy for the whole city: read by all staff, written by city staff
# only; no side a and side b to compare (tests/services/test_scope.py pins who may edit them).
# City-wide catalogues: every area reads the same rows (the working calendar is the city's).
CITY_WIDE = {
    "services.Category",
    "services.Holiday",
    "services.HolidayChange",
    "services.HolidayYear",
    "services.KpiConfig",
    "services.TimeLimit",
}


@pytest.mark.parametrize(
    "app_label", ["grids", "centres", "services", "volunteers", "notifications", "dashboard"]
)
def test_every_scoped_model_is_in_the_matrix(app_label):
    assert set(unregistered(app_label)) - CITY_WIDE == set()


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
@pytest.mark.parametrize("role", ROLES_A)
def test_no_role_opens_a_page_across_the_siblings(client, territory, page, role):
    a0, b0 = place(territory, "a", 0), place(territory, "b", 0)
    url_a, url_b = page.url(a0), page.url(b0)
    user = territory.user(role)
    if user is not None:
        client.force_login(user)
    opens = role in ("superuser", "district", "street") or role.removesuffix("_a") in page.viewers
    status = client.get(url_a).status_code
    if opens:
        assert status == 200, (page.name, role, status)
    else:
        assert status in FORBIDDEN_OR_MISSING | {302}, (page.name, role, status)
    answer = client.get(url_b)
    if not opens:
        assert answer.status_code in FORBIDDEN_OR_MISSING | {302}, (page.name, role)
    if page.secret is not None and role not in ("superuser", "district", "street"):
        assert page.secret(b0) not in answer.content.decode(), (page.name, role)
