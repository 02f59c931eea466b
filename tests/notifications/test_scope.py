"""Every role sees its own notifications only, through every door: the scope, the inbox, the
API, and the admin (superusers only, read-only)."""

from __future__ import annotations

import pytest

from notifications import notify
from notifications.models import Notification, NotificationPreference

ROLES = [
    "superuser",
    "district",
    "street",
    "dept",
    "community_a",
    "grid_a",
    "resident_a",
    "unit_a",
    "community_b",
    "resident_b",
]


@pytest.fixture
def everyone(territory):
    users = [territory.user(key) for key in ROLES]
    notify.queue(users=users, kind="points", title="给每个人")
    return territory


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_only_its_own(client, everyone, role):
    user = everyone.user(role)
    mine = Notification.objects.get(recipient=user)
    if role != "superuser":  # the admin's queryset: superusers see all, for support
        assert list(Notification.objects.visible_to(user)) == [mine]
    client.force_login(user)
    assert [n.pk for n in client.get("/inbox/").context["notifications"]] == [mine.pk]
    assert [r["id"] for r in client.get("/api/notifications/").json()["results"]] == [mine.pk]
    others = Notification.objects.exclude(recipient=user)
    for other in others[:3]:
        assert client.get(f"/inbox/{other.pk}/").status_code == 404
        assert client.get(f"/api/notifications/{other.pk}/").status_code == 404
    assert not others.filter(read_at__isnull=False).exists()


@pytest.mark.parametrize("role", ["district", "community_a", "grid_a", "resident_a"])
def test_the_admin_is_for_superusers_only(client, everyone, role):
    client.force_login(everyone.user(role))
    for model in ("notification", "notificationoutbox", "notificationpreference"):
        assert client.get(f"/admin/notifications/{model}/").status_code in (302, 403)


def test_superusers_read_notices_in_the_admin_but_cannot_change_them(client, everyone):
    note = Notification.objects.exclude(recipient=everyone.user("superuser")).first()
    client.force_login(everyone.user("superuser"))
    assert client.get("/admin/notifications/notification/").status_code == 200
    assert client.get(f"/admin/notifications/notification/{note.pk}/change/").status_code == 200
    response = client.post(f"/admin/notifications/notification/{note.pk}/change/", {})
    assert response.status_code == 403
    assert client.get("/admin/notifications/notificationoutbox/").status_code == 200
    assert client.get("/admin/notifications/notificationpreference/").status_code == 200
    assert not NotificationPreference.objects.exists()
