"""Garbage to every phone endpoint: a clear 4xx (or the form again), never a 500."""

from __future__ import annotations

import pytest
from django.core.cache import cache

JUNK = {
    "case_type": "x" * 50,
    "category": "abc",
    "place": "-1",
    "lat": "nan",
    "lng": "inf",
    "description": "",
    "reporter_phone": "'; drop table",
    "photos": "not-a-file",
    "version": "v",
    "days": "-5",
    "solved": "maybe",
    "rating": "9",
    "phone": "1" * 40,
    "code": "<script>",
    "step": "login",
    "seen": "",
    "room": "",
    "name": "",
}


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("who", [None, "resident_a", "grid_a"])
def test_no_500_on_junk(client, desk, who):
    case = desk.dispatched()
    if who:
        client.force_login(desk.user(who))
    n = case.number
    gets = [
        "/cases/",
        "/cases/new/",
        "/cases/mine/",
        f"/cases/c/{n}/",
        "/cases/c/nope/",
        "/cases/t/garbage/",
        "/cases/places/?parent=abc",
        "/cases/places/?parent=999999",
        "/cases/places/locate/?lat=nan&lng=1",
        "/cases/places/locate/?lat=1e400&lng=1",
        "/cases/similar/?category=x&place=y",
        "/cases/grid/",
        f"/cases/grid/c/{n}/",
        "/cases/register/",
        "/cases/login/",
    ]
    posts = [
        "/cases/new/",
        "/cases/login/",
        "/cases/register/",
        f"/cases/c/{n}/callback/",
        f"/cases/c/{n}/follow/",
        "/cases/grid/new/",
        "/cases/grid/patrol/",
        *[f"/cases/grid/c/{n}/{a}/" for a in ("sign_for", "resolve", "request_extension", "hack")],
        "/api/services/city12345/webhook/",
    ]
    for url in gets:
        assert client.get(url).status_code < 500, url
    for url in posts:
        assert client.post(url, JUNK).status_code < 500, url
