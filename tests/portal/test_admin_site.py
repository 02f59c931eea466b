"""The admin's navigation is kept per user and scope for a minute (portal.admin_site)."""

import pytest
from django.contrib.admin import AdminSite
from django.http import HttpRequest

from portal import admin_site
from portal.models import User


@pytest.fixture
def builds(monkeypatch):
    admin_site._app_lists.clear()
    calls = []
    original = AdminSite.get_app_list

    def counting(self, request, app_label=None):
        calls.append((request.user.username, app_label))
        return original(self, request, app_label)

    monkeypatch.setattr(AdminSite, "get_app_list", counting)
    yield calls
    admin_site._app_lists.clear()


@pytest.mark.django_db
def test_the_app_list_is_built_once_per_user_and_kept(client, builds):
    for name in ("root1", "root2"):
        User.objects.create_superuser(name, f"{name}@example.org", "pw-123456")
    client.login(request=HttpRequest(), username="root1", password="pw-123456")
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/").status_code == 200
    assert builds == [("root1", None)]
    client.login(request=HttpRequest(), username="root2", password="pw-123456")
    assert client.get("/admin/").status_code == 200
    assert builds == [("root1", None), ("root2", None)]
    admin_site._app_lists.clear()  # what the minute's end does
    assert client.get("/admin/").status_code == 200
    assert builds[-1] == ("root2", None) and len(builds) == 3
