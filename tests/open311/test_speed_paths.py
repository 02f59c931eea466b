"""What the speed work changed (bench/open311.py measures it): keyset paging behind
page/page_size, the per-process memo of services on POST, and the query counts of both."""

from __future__ import annotations

import json

from django.core.cache import cache

from open311 import views
from open311.models import ServiceAttribute
from tests.open311.test_read import _list, envelope
from tests.open311.test_write import file, filed


def _numbers(rows):
    return [r["service_request_id"] for r in rows]


def test_walking_pages_in_order_seeks_and_answers_offsets_rows(client, desk):
    numbers = [desk.file().number for _ in range(7)][::-1]
    walked = [_numbers(_list(client, page=p, page_size=2)) for p in (1, 2, 3, 4, 5)]
    assert walked == [numbers[0:2], numbers[2:4], numbers[4:6], numbers[6:7], []]
    # Every full page left its last row for the next one to seek past.
    seek = views._seek_key({"page_size": 2}, None, 2)
    assert set(cache.get_many([f"{seek}:{n}" for n in (1, 2, 3, 4)])) == {
        f"{seek}:1",
        f"{seek}:2",
        f"{seek}:3",
    }


def test_a_page_asked_straight_away_is_offsets(client, desk):
    numbers = [desk.file().number for _ in range(7)][::-1]
    assert _numbers(_list(client, page=3, page_size=2)) == numbers[4:6]
    assert _numbers(_list(client, page=2, page_size=3)) == numbers[3:6]


def test_a_walk_goes_on_where_it_left_off_when_cases_arrive(client, desk):
    numbers = [desk.file().number for _ in range(4)][::-1]
    assert _numbers(_list(client, page=1, page_size=2)) == numbers[0:2]
    desk.file()  # a new case on top: OFFSET would show numbers[1] again
    assert _numbers(_list(client, page=2, page_size=2)) == numbers[2:4]


def test_the_seek_is_kept_per_query_and_key(client, desk, key):
    _row, plain = key
    for _ in range(3):
        desk.file()
    _list(client, page=1, page_size=2)
    public = views._seek_key({"page_size": 2}, None, 2)
    row, _plain = key
    with_key = views._seek_key({"page_size": 2}, row, 2)
    other = views._seek_key({"page_size": 2, "status": "open"}, None, 2)
    assert len({public, with_key, other}) == 3
    assert cache.get(f"{public}:1") is not None
    assert cache.get(f"{with_key}:1") is None and cache.get(f"{other}:1") is None


def test_a_seeking_page_costs_no_more_queries(client, desk, django_assert_num_queries):
    for _ in range(5):
        desk.dispatched()
    _list(client, page=1, page_size=2)
    with django_assert_num_queries(3):  # the cases (seeking), their names, their steps
        assert len(_list(client, page=2, page_size=2)) == 2


def test_query_count_of_a_post_is_pinned(client, desk, key, django_assert_num_queries):
    _row, plain = key
    place = desk.t.a.buildings[0].pk
    filed(file(client, plain, address_id=place))  # the service memo and the scope cache filled
    # The key, the place, the case number, the case, its first step, the submission, and
    # the savepoints of open311.actions._file and services.actions.submit_case (the test's
    # own transaction turns each atomic block into one). No category or question query.
    with django_assert_num_queries(10):
        response = file(client, plain, address_id=place)
    filed(response)


def test_the_service_memo_sees_an_edit_at_once(client, desk, key):
    _row, plain = key
    place = desk.t.a.buildings[0].pk
    filed(file(client, plain, address_id=place))
    ServiceAttribute.objects.create(
        category=desk.potholes, code="size", description="多大？", required=True
    )
    assert envelope(file(client, plain, address_id=place), 400) == [
        "attribute[size]: This attribute is required: 多大？"
    ]
    desk.potholes.is_active = False
    desk.potholes.save()
    body = json.loads(file(client, plain, address_id=place).content)
    assert body[0]["code"] == 400 and "service_code" in body[0]["description"]
