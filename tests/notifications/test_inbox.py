"""/inbox/: one's own notifications, newest first, unread marked, the unread filter, pages,
opening one, marking all read, the settings page; anyone else's is a 404."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.utils import timezone

from notifications import actions, notify
from notifications.models import Notification, NotificationPreference

INBOX = "/inbox/"


def _notes(user, n: int, kind: str = "points", link: str = "/volunteers/points/"):
    """n notifications, oldest first, a minute apart."""
    start = timezone.now() - timedelta(minutes=n)
    for i in range(n):
        notify.send(
            [notify.Message(user=user, kind=kind, title=f"第{i}条", link=link)],
            now=start + timedelta(minutes=i),
        )
    return list(Notification.objects.filter(recipient=user).order_by("created_at"))


def test_the_inbox_lists_newest_first_with_unread_marked(client, territory):
    user = territory.user("resident_a")
    notes = _notes(user, 3)
    actions.mark_read(user, notes[0].pk)
    _notes(territory.user("resident_b"), 1)  # someone else's
    client.force_login(user)
    page = client.get(INBOX)
    html = page.content.decode()
    assert page.status_code == 200
    assert [n.pk for n in page.context["notifications"]] == [n.pk for n in reversed(notes)]
    assert html.index("第2条") < html.index("第1条") < html.index("第0条")
    assert html.count('class="note unread"') == 2 and html.count('class="note"') == 1
    assert "Points awarded" in html  # the kind's label


def test_the_unread_filter_and_pages(client, territory):
    user = territory.user("resident_a")
    notes = _notes(user, 45)
    for note in notes[:20]:
        actions.mark_read(user, note.pk)
    client.force_login(user)
    first = client.get(INBOX)
    assert len(first.context["notifications"]) == 20 and first.context["has_next"]
    assert not first.context["has_previous"]
    third = client.get(INBOX, {"page": 3})
    assert [n.pk for n in third.context["notifications"]] == [n.pk for n in notes[4::-1]]
    assert not third.context["has_next"] and third.context["has_previous"]
    unread = client.get(INBOX, {"unread": "1"})
    assert len(unread.context["notifications"]) == 20
    assert all(n.read_at is None for n in unread.context["notifications"])
    rest = client.get(INBOX, {"unread": "1", "page": 2})
    assert len(rest.context["notifications"]) == 5 and not rest.context["has_next"]
    assert "unread=1&amp;page=1" in rest.content.decode()
    # A page number that is not one is the first page, not an error.
    assert client.get(INBOX, {"page": "x"}).context["page"] == 1
    assert client.get(INBOX, {"page": "99"}).status_code == 200


def test_empty_states(client, territory):
    client.force_login(territory.user("resident_a"))
    assert "No notifications yet" in client.get(INBOX).content.decode()
    assert "No unread notifications" in client.get(INBOX, {"unread": "1"}).content.decode()
    assert "Mark all as read" not in client.get(INBOX).content.decode()


def test_opening_one_marks_it_read_and_goes_to_its_page(client, territory):
    user = territory.user("resident_a")
    (note,) = _notes(user, 1, link="/centres/me/#my-bookings")
    client.force_login(user)
    response = client.get(f"{INBOX}{note.pk}/")
    assert response.status_code == 302 and response["Location"] == "/centres/me/#my-bookings"
    note.refresh_from_db()
    read_at = note.read_at
    assert read_at is not None
    client.get(f"{INBOX}{note.pk}/")  # again: still read, the time of the first reading kept
    note.refresh_from_db()
    assert note.read_at == read_at


def test_a_notice_about_nothing_or_elsewhere_opens_the_inbox(client, territory):
    user = territory.user("resident_a")
    (plain,) = _notes(user, 1, link="")
    Notification.objects.filter(pk=plain.pk).update(link="https://evil.example/x")
    client.force_login(user)
    assert client.get(f"{INBOX}{plain.pk}/")["Location"] == INBOX


@pytest.mark.parametrize("who", ["resident_b", "community_a", "district", "superuser"])
def test_someone_elses_notification_is_a_404(client, territory, who):
    (note,) = _notes(territory.user("resident_a"), 1)
    client.force_login(territory.user(who))
    assert client.get(f"{INBOX}{note.pk}/").status_code == 404
    assert client.get(f"{INBOX}999999999/").status_code == 404
    note.refresh_from_db()
    assert note.read_at is None
    assert note.pk not in {n.pk for n in client.get(INBOX).context["notifications"]}


def test_mark_all_read_is_a_post_that_says_what_it_did(client, territory):
    user = territory.user("resident_a")
    _notes(user, 3)
    other = _notes(territory.user("resident_b"), 1)[0]
    client.force_login(user)
    assert client.get(f"{INBOX}read-all/").status_code == 405
    response = client.post(f"{INBOX}read-all/", follow=True)
    assert response.redirect_chain == [(INBOX, 302)]
    assert "Marked as read: 3." in response.content.decode()
    assert not Notification.objects.filter(recipient=user, read_at=None).exists()
    other.refresh_from_db()
    assert other.read_at is None
    again = client.post(f"{INBOX}read-all/", follow=True)
    assert "Nothing was unread." in again.content.decode()


def test_the_inbox_needs_a_login(client):
    response = client.get(INBOX)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{resolve_url(settings.LOGIN_URL)}?next=")


def test_the_inbox_page_costs_a_fixed_number_of_queries(
    client, territory, django_assert_num_queries
):
    user = territory.user("resident_a")
    _notes(user, 30)
    client.force_login(user)  # counts the bell at login
    client.get(INBOX)  # the session is cached
    # The user, the page of rows; the bell comes from the cache.
    with django_assert_num_queries(2):
        client.get(INBOX)
    with django_assert_num_queries(2):
        client.get(INBOX, {"unread": "1", "page": 2})


def test_settings_page_shows_the_defaults_and_saves_a_choice(client, territory, channels):
    channels("inbox", "sms", "wechat")
    user = territory.user("resident_a")
    client.force_login(user)
    page = client.get(f"{INBOX}settings/")
    form = page.context["form"]
    assert page.status_code == 200
    assert set(form["my_cases"].initial) == {"inbox", "sms", "wechat"}
    assert form["case_work"].field.required_channels == ["inbox"]
    assert form["quiet_hours"].initial is True
    assert "disabled" in page.content.decode()  # the required inbox box
    response = client.post(
        f"{INBOX}settings/",
        {
            "my_cases": ["inbox", "sms"],
            "centres": ["wechat"],
            "quiet_hours": "on",
            "quiet_start": "21:30",
            "quiet_end": "06:45",
        },
        follow=True,
    )
    assert "Your notification settings are saved." in response.content.decode()
    pref = NotificationPreference.objects.get(user=user)
    assert pref.channels["my_cases"] == ["inbox", "sms"]
    assert pref.channels["centres"] == ["wechat"]
    assert pref.channels["case_work"] == ["inbox"]  # nothing ticked: what it requires
    assert (pref.quiet_start, pref.quiet_end) == (time(21, 30), time(6, 45))


def test_settings_keep_a_choice_of_a_channel_the_site_has_switched_off(client, territory, channels):
    user = territory.user("resident_a")
    actions.save_preferences(user, channels={"centres": ["inbox", "sms"]}, quiet_hours=False)
    channels("inbox")  # SMS switched off: the page cannot show it, so it cannot clear it
    client.force_login(user)
    client.post(f"{INBOX}settings/", {"centres": ["inbox"]})
    assert NotificationPreference.objects.get(user=user).channels["centres"] == ["inbox", "sms"]


def test_settings_refuse_bad_input_with_a_message_on_the_field(client, territory, channels):
    channels("inbox", "sms")
    user = territory.user("resident_a")
    client.force_login(user)
    same = {"quiet_hours": "on", "quiet_start": "22:00", "quiet_end": "22:00"}
    response = client.post(f"{INBOX}settings/", same)
    assert response.status_code == 400
    assert response.context["form"].errors["quiet_end"]
    response = client.post(f"{INBOX}settings/", {"quiet_hours": "on", "quiet_start": "25:99"})
    assert response.status_code == 400 and response.context["form"].errors["quiet_start"]
    response = client.post(f"{INBOX}settings/", {"centres": ["pigeon"]})
    assert response.status_code == 400 and response.context["form"].errors["centres"]
    assert not NotificationPreference.objects.filter(user=user).exists()
