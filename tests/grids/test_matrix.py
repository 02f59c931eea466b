"""Runs the permission matrix (tests/matrix.py) over every registered model of every app."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse

from tests.matrix import ROLES_A, load, place

ENTRIES = load()
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
