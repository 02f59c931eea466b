"""notifications' models in the permission matrix (tests/matrix.py). A notification and a
person's preferences belong to that person alone (a fresh account here): no role reads them
through its scope, and the admin is for superusers only. tests/notifications/test_scope.py
walks every role, district and street staff included, through the inbox and the API."""

from __future__ import annotations

from notifications import actions, notify
from notifications.models import Notification, NotificationPreference
from tests.matrix import Place, register
from tests.territory import make_user


def _notification(p: Place) -> Notification:
    user = make_user(f"{p.label}-note")
    notify.queue(users=[user], kind="reminder", title=p.label)
    return Notification.objects.get(recipient=user)


def _preference(p: Place) -> NotificationPreference:
    user = make_user(f"{p.label}-pref")
    return actions.save_preferences(user, channels={"centres": ["inbox"]}, quiet_hours=False)


register(Notification, _notification, viewers=(), admin=False, grid_level=False)
register(NotificationPreference, _preference, viewers=(), admin=False, grid_level=False)
