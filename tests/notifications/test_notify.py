"""The notify interface: who gets what on which channel (kinds' defaults, people's
preferences, what the site has on), quiet hours, links, and the bulk path's query count."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from notifications import actions, kinds, notify, tasks
from notifications.models import Notification, NotificationOutbox
from tests.territory import make_user

SH = ZoneInfo("Asia/Shanghai")


# "Day 7" is tomorrow: the deliveries below compare the held rows with the real clock, so the
# test's night must still be ahead of it (a fixed date made the test fail once it had passed).
_DAY_7 = datetime.now(SH).date() + timedelta(days=1)


def _at(hh: int, mm: int = 0, day: int = 7) -> datetime:
    d = _DAY_7 + timedelta(days=day - 7)
    return datetime(d.year, d.month, d.day, hh, mm, tzinfo=SH)


def _outbox(user) -> dict[str, NotificationOutbox]:
    return {r.channel: r for r in NotificationOutbox.objects.filter(recipient=user)}


@pytest.mark.parametrize(
    ("hours", "now", "held"),
    [
        ("22:00-07:00", _at(23, 30), _at(7, 0, day=8)),  # late evening: until tomorrow morning
        ("22:00-07:00", _at(3, 0), _at(7, 0)),  # small hours: until this morning
        ("22:00-07:00", _at(7, 0), None),  # the window's end is outside it
        ("22:00-07:00", _at(21, 59), None),
        ("22:00-07:00", _at(22, 0), _at(7, 0, day=8)),
        ("12:00-14:00", _at(13, 0), _at(14, 0)),  # a window inside one day
        ("12:00-14:00", _at(15, 0), None),
        ("", _at(23, 30), None),  # no quiet hours
    ],
)
def test_held_until(hours, now, held):
    assert notify.held_until(notify.parse_quiet_hours(hours), now) == held


def test_quiet_hours_text_is_checked():
    for bad in ("22:00", "25:00-07:00", "07:00-07:00", "late-early"):
        with pytest.raises(ValueError):
            notify.parse_quiet_hours(bad)


def test_kinds_go_out_on_their_default_channels_where_the_site_has_them(territory, channels):
    channels("inbox", "sms", "wechat")
    user = territory.user("resident_a")  # has a phone
    no_phone = make_user("no-phone")
    notify.queue(users=[user, no_phone], kind="resolved", title="已办结", link="/x/")
    assert set(_outbox(user)) == {"sms", "wechat"}
    # No phone: nothing to text, but the inbox has it.
    assert not _outbox(no_phone) and Notification.objects.filter(recipient=no_phone).exists()
    notify.queue(users=[user], kind="survey", title="问卷")  # a kind for the inbox only
    assert NotificationOutbox.objects.filter(kind="survey").count() == 0
    assert Notification.objects.filter(recipient=user, kind="survey").count() == 1


def test_a_site_without_sms_sends_none_whatever_people_chose(territory, channels):
    channels("inbox")
    user = territory.user("resident_a")
    actions.save_preferences(user, channels={"my_cases": ["sms"]}, quiet_hours=False)
    notify.queue(users=[user], kind="resolved", title="已办结")
    assert not NotificationOutbox.objects.exists()


def test_preferences_choose_channels_per_group_and_keep_what_a_group_requires(territory, channels):
    channels("inbox", "sms", "wechat")
    worker = territory.user("grid_a")
    worker.phone = "13800002222"
    worker.save()
    # Everything off for case work: the inbox stays (it is required), SMS and WeChat go.
    pref = actions.save_preferences(
        worker, channels={"case_work": [], "centres": ["sms"]}, quiet_hours=False
    )
    assert pref.channels == {"case_work": ["inbox"], "centres": ["sms"]}
    notify.queue(users=[worker], kind="red", title="红牌")
    assert Notification.objects.filter(recipient=worker, kind="red").exists()
    assert not _outbox(worker)
    # Centres: only SMS, no inbox.
    notify.queue(users=[worker], kind="reminder", title="明天")
    assert set(_outbox(worker)) == {"sms"}
    assert not Notification.objects.filter(recipient=worker, kind="reminder").exists()
    # A group left out keeps its kinds' defaults.
    notify.queue(users=[worker], kind="points", title="积分")
    assert Notification.objects.filter(recipient=worker, kind="points").exists()


def test_preferences_refuse_unknown_groups_channels_and_empty_quiet_hours(territory):
    user = territory.user("resident_a")
    with pytest.raises(ValidationError) as exc:
        actions.save_preferences(user, channels={"nope": ["inbox"]}, quiet_hours=False)
    assert "channels" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        actions.save_preferences(user, channels={"centres": ["pigeon"]}, quiet_hours=False)
    assert "centres" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        actions.save_preferences(
            user, channels={}, quiet_hours=True, quiet_start=time(22), quiet_end=time(22)
        )
    assert "quiet_end" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        actions.save_preferences(user, channels={}, quiet_hours=True)
    assert {"quiet_start", "quiet_end"} <= set(exc.value.message_dict)


def test_quiet_hours_hold_sms_and_wechat_until_they_end(territory, channels, settings):
    fakes = channels("inbox", "sms", "wechat")
    settings.LINLI = {**settings.LINLI, "NOTIFY_QUIET_HOURS": "22:00-07:00"}
    night = _at(23, 30)
    resident = territory.user("resident_a")  # no preference row: the site's quiet hours
    owl = territory.user("resident_b")
    actions.save_preferences(owl, channels={}, quiet_hours=False)  # wants them at once
    early = make_user("early", phone="13800003333")
    actions.save_preferences(
        early, channels={}, quiet_hours=True, quiet_start=time(21), quiet_end=time(6, 30)
    )
    notify.send(
        [notify.Message(user=u, kind="promoted", title="候补转正") for u in (resident, owl, early)],
        now=night,
    )
    # The inbox has it at once, whatever the hour.
    assert Notification.objects.filter(kind="promoted").count() == 3
    held = _outbox(resident)
    assert {r.not_before for r in held.values()} == {_at(7, 0, day=8)}
    assert {r.not_before for r in _outbox(owl).values()} == {None}
    assert {r.not_before for r in _outbox(early).values()} == {_at(6, 30, day=8)}
    # Delivery leaves a held row alone; the flush too, until the quiet hours are over.
    all_ids = list(NotificationOutbox.objects.values_list("pk", flat=True))
    tasks.deliver_notifications(all_ids)
    assert {a for _u, a, _t in fakes["sms"].sent} == {owl.phone}
    NotificationOutbox.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    assert tasks.flush_outbox() == 0
    # 07:00 comes (the rows' times moved back, as time would move them).
    for row in NotificationOutbox.objects.exclude(not_before=None):
        NotificationOutbox.objects.filter(pk=row.pk).update(
            not_before=timezone.now() - timedelta(seconds=1)
        )
    assert tasks.flush_outbox() == 4
    assert {a for _u, a, _t in fakes["sms"].sent} == {owl.phone, resident.phone, early.phone}
    assert not NotificationOutbox.objects.filter(status="pending").exists()


def test_unknown_kinds_and_inactive_users(territory, channels):
    channels("inbox")
    with pytest.raises(KeyError):
        notify.queue(users=[territory.user("resident_a")], kind="no-such-kind", title="?")
    gone = make_user("gone", is_active=False)
    assert notify.queue(users=[gone, None], kind="points", title="积分") == 0
    assert not Notification.objects.exists()


def test_a_case_notice_links_staff_to_the_desk_and_residents_to_their_phone_page(desk, channels):
    channels("inbox")
    case = desk.file()
    staff, resident = desk.user("community_a"), desk.user("resident_a")
    notify.queue(users=[staff, resident], case=case, kind="resolved", title="已办结")
    links = dict(Notification.objects.values_list("recipient_id", "link"))
    assert links == {staff.pk: f"/desk/c/{case.number}/", resident.pk: f"/cases/c/{case.number}/"}


def test_queue_to_phone_texts_a_number_without_an_account(desk, channels, settings):
    fakes = channels("inbox", "sms")
    case = desk.file()
    assert notify.queue_to_phone(
        phone=" 13700001234 ", kind="case_received", title="已受理", body=case.number, case=case
    )
    row = NotificationOutbox.objects.get()
    assert (row.recipient_id, row.address, row.case_id, row.not_before) == (
        None,
        "13700001234",
        case.pk,
        None,
    )
    tasks.deliver_notifications([row.pk])
    assert fakes["sms"].sent == [(None, "13700001234", "已受理")]
    assert not notify.queue_to_phone(phone="", kind="case_received", title="x")
    with pytest.raises(KeyError):
        notify.queue_to_phone(phone="13700001234", kind="nope", title="x")


def test_queue_to_phone_needs_an_sms_gateway_not_the_notice_channels(territory, settings):
    """A text to a caller goes whenever there is a gateway to send it, as login codes do;
    the site's channel list is about notices to its users."""
    settings.LINLI = {**settings.LINLI, "NOTIFY_CHANNELS": ["inbox"], "SMS_URL": ""}
    assert not notify.queue_to_phone(phone="13700001234", kind="case_received", title="x")
    settings.LINLI = {**settings.LINLI, "SMS_URL": "http://127.0.0.1:9/sms"}
    assert notify.queue_to_phone(phone="13700001234", kind="case_received", title="x")
    assert NotificationOutbox.objects.get().channel == "sms"


@pytest.mark.parametrize("people", [3, 60])
def test_the_bulk_path_is_three_statements_whatever_the_batch(
    territory, channels, django_assert_num_queries, people
):
    """One query for the recipients and their preferences, one INSERT into the inbox, one
    into the outbox: the sweep's batches cost the same however many people they tell."""
    channels("inbox", "sms", "wechat")
    users = [make_user(f"bulk{i}", phone=f"1380000{i:04d}") for i in range(people)]
    for user in users[::2]:  # half of them have preferences
        actions.save_preferences(
            user,
            channels={"case_work": ["inbox", "sms"]},
            quiet_hours=True,
            quiet_start=time(23),
            quiet_end=time(6),
        )
    messages = [
        notify.Message(user=u.pk, kind=kind, title="批量")
        for u in users
        for kind in ("yellow", "red", "assigned")
    ]
    with django_assert_num_queries(3):
        written = notify.send(messages)
    assert written == 3 * people
    # Those with preferences get case work by SMS; the others only red cards and new cases
    # (a yellow card's defaults have no SMS).
    chose = len(users[::2])
    assert NotificationOutbox.objects.filter(channel="sms").count() == 3 * chose + 2 * (
        people - chose
    )


def test_every_kind_belongs_to_a_group_with_known_channels():
    for kind in kinds.KINDS.values():
        assert kind.group in kinds.GROUPS
        assert set(kind.channels) <= set(kinds.USER_CHANNELS)
        assert kinds.label(kind.code) == str(kind.label)
    assert kinds.label("retired-kind") == "retired-kind"
