"""Notification channels: the HTTP clients against a local HTTP server, retries with backoff,
email and fakes; delivery is idempotent."""

from __future__ import annotations

from notifications import actions, notify, tasks
from notifications.models import Notification, NotificationOutbox
from tests.notifications.conftest import Gateway


def _queue(desk, settings, channels: list[str]):
    settings.LINLI = {**settings.LINLI, "NOTIFY_CHANNELS": channels, "SITE_URL": "https://ll.cn"}
    case = desk.file()
    user = desk.user("grid_a")
    user.phone = "13800001111"
    user.save()
    notify.queue(users=[user], case=case, kind="assigned", title="新工单")
    return case, user, list(NotificationOutbox.objects.filter(kind="assigned").order_by("pk"))


def test_sms_and_wechat_post_to_their_gateways(desk, settings, gateway):
    settings.LINLI = {
        **settings.LINLI,
        "NOTIFY_QUIET_HOURS": "",
        "SMS_URL": f"{gateway}/sms",
        "SMS_KEY": "k-sms",
        "WECHAT_TEMPLATE_URL": f"{gateway}/wx",
        "WECHAT_TEMPLATE_KEY": "k-wx",
    }
    case, user, rows = _queue(desk, settings, ["sms", "wechat", "inbox"])
    # The inbox is written at once; only SMS and WeChat go through the outbox.
    assert sorted(r.channel for r in rows) == ["sms", "wechat"]
    assert Notification.objects.get(recipient=user).title == "新工单"
    assert tasks.deliver_notifications([r.pk for r in rows]) == 2
    paths = {p: (auth, body) for p, auth, body in Gateway.received}
    assert paths["/sms"][0] == "Bearer k-sms" and paths["/sms"][1]["to"] == "13800001111"
    assert paths["/sms"][1]["link"] == f"https://ll.cn/desk/c/{case.number}/"
    wx = paths["/wx"][1]
    assert wx["touser"] == "13800001111" and wx["data"]["case"] == case.pk
    assert wx["template"] == "assigned" and wx["url"].endswith(f"/desk/c/{case.number}/")
    # Delivering again (a duplicate message) sends nothing twice.
    assert tasks.deliver_notifications([r.pk for r in rows]) == 0
    assert len(Gateway.received) == 2 and Notification.objects.count() == 1


def test_a_failing_gateway_is_retried_then_marked_failed(desk, settings, gateway):
    settings.LINLI = {**settings.LINLI, "SMS_URL": f"{gateway}/sms", "NOTIFY_QUIET_HOURS": ""}
    Gateway.status = 503
    _case, _user, rows = _queue(desk, settings, ["sms"])
    row = rows[0]
    tasks.deliver_notifications([row.pk])
    row.refresh_from_db()
    assert row.status == "pending" and row.attempts == 1 and "503" in row.last_error
    Gateway.status = 200
    tasks.deliver_notification(row.pk)
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 2
    Gateway.status = 500
    NotificationOutbox.objects.filter(pk=row.pk).update(
        status="pending", attempts=actions.MAX_ATTEMPTS - 1
    )
    tasks.deliver_notifications([row.pk])
    row.refresh_from_db()
    assert row.status == "failed"
    # The admin's "send again" gives it another round.
    Gateway.status = 200
    assert actions.retry_failed([row.pk]) == 1
    tasks.deliver_notifications([row.pk])
    row.refresh_from_db()
    assert row.status == "sent"


def test_fake_channel_and_email(desk, settings, mailoutbox, channels):
    fake = notify.FakeChannel("fake", fail_times=1)
    channels("fake", "email")
    notify.register(fake)
    user = desk.user("grid_a")
    user.email = "grid@example.org"
    user.save()
    # Email is no kind's default: a user asks for it.
    actions.save_preferences(user, channels={"case_work": ["email"]}, quiet_hours=False)
    notify.queue(users=[user], kind="remind", title="催办", link="/desk/c/1/")
    ids = list(NotificationOutbox.objects.values_list("pk", flat=True))
    tasks.deliver_notifications(ids)
    assert fake.sent == [] and len(mailoutbox) == 1 and mailoutbox[0].to == ["grid@example.org"]
    assert mailoutbox[0].body.endswith("/desk/c/1/")
    tasks.deliver_notifications(ids)
    assert fake.sent == [(user.pk, user.phone or user.username, "催办")]
    assert not Notification.objects.exists()  # the inbox is not switched on on this site


def test_the_log_channel_writes_a_line_on_commit_and_no_outbox_row(
    desk, channels, caplog, django_capture_on_commit_callbacks
):
    channels("inbox", "log")
    with (
        caplog.at_level("INFO", logger="notifications.notify"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify.queue(users=[desk.user("grid_a")], kind="yellow", title="黄牌")
    assert "notify yellow" in caplog.text and "黄牌" in caplog.text
    assert not NotificationOutbox.objects.exists()
    assert Notification.objects.filter(kind="yellow").count() == 1
