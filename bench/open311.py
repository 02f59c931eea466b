"""Open311 GeoReport v2 (/open311/v2/) on the city-scale seed (make seed-city).

Figures (queries and p95 of the whole request through the test client, every middleware
included, JSON unless named):

- GET requests: the default 90-day window, a page of 100, as anyone (help, suggestion and
  consultation requests only) and with a city-wide key; the same page with status=open and
  one service_code; the same page in XML; the whole 1,000 (the spec's default size); page 50
  asked for straight away (OFFSET) and pages 1 to 50 walked in order (keyset: each page seeks
  past the last row of the one before, open311.views._page).
- GET requests/{id}: one request, as anyone and as the key.
- POST requests: filed by address_id and by lat/long (the nearest place), each inside a
  transaction rolled back at the end (so the bench database keeps no case; the commit itself
  and the dispatch task sent on commit are not in the figure).
- GET servicerequestupdates: the last day (the default) and a 90-day window (at most 1,000).

The window ends at the newest case of the seed (the seed's cases may end before today).
Targets (issue 19): GET requests (90 days, a page of 100) p95 ≤ 80 ms, GET one ≤ 80 ms,
POST ≤ 30 ms at 1,000,000 cases.
"""

from __future__ import annotations

import os
import statistics
from datetime import timedelta

from bench._util import count_queries, p95, timings

REPEAT = int(os.environ.get("BENCH_OPEN311_REPEAT", "40"))
POSTS = int(os.environ.get("BENCH_OPEN311_POSTS", "40"))


class _Rollback(Exception):
    pass


def _setup():
    from django.contrib.auth import get_user_model

    from grids.models import Area
    from open311 import actions
    from open311.models import ApiKey

    city = Area.objects.filter(code="SCALE", depth=1).first()
    if city is None:
        raise RuntimeError("run `make seed-city` first (manage.py seed_demo --scale city)")
    User = get_user_model()
    admin, created = User.objects.get_or_create(
        username="bench-open311-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    if created:
        admin.set_unusable_password()
        admin.save()
    # A new key each run (only its hash is stored, so an old one cannot be reused); the
    # earlier runs' keys are revoked, not deleted.
    for old in ApiKey.objects.filter(name="bench-open311", is_active=True):
        actions.revoke_key(old, actor=admin)
    key, plain = actions.issue_key(name="bench-open311", actor=admin)
    return city, key, plain


def run(emit) -> None:
    from django.conf import settings
    from django.db import transaction
    from django.db.models import Max
    from django.test import Client

    from grids.models import Area
    from open311 import records
    from open311.models import ServiceAttribute
    from services.models import Case, Category

    city, key, plain = _setup()
    # The bench POSTs more than a key's minute allows.
    settings.LINLI = {**settings.LINLI, "OPEN311_POSTS_PER_MINUTE": 1_000_000}
    total = Case.objects.count()
    sizes = {"cases": total}
    newest = Case.objects.aggregate(m=Max("created_at"))["m"]
    end = newest.isoformat()
    start = (newest - timedelta(days=90)).isoformat()
    client = Client()
    base = "/open311/v2/"

    def figure(name: str, url: str, params: dict, **extra) -> None:
        def call():
            response = client.get(base + url, params)
            assert response.status_code == 200, response.content[:300]
            return response

        rows = call()
        emit(f"{name}_queries", count_queries(call), "queries", **sizes, **extra)
        samples = timings(call, repeat=REPEAT)
        emit(f"{name}_p95", p95(samples), "ms", **sizes, **extra)
        # The middle too: on a shared machine the p95 is mostly other people's load.
        emit(f"{name}_p50", statistics.median(samples), "ms", **sizes, **extra)
        return rows

    window = {"start_date": start, "end_date": end}
    in_window = records.readable(None).filter(created_at__gte=newest - timedelta(days=90)).count()
    page = {**window, "page_size": 100}
    figure("requests_90d_page100_public", "requests.json", page, in_window=in_window)
    figure("requests_90d_page100_key", "requests.json", {**page, "api_key": plain})
    code = (
        Category.objects.filter(is_active=True, cases__isnull=False)
        .values_list("code", flat=True)
        .first()
    )
    figure(
        "requests_90d_page100_open_one_service",
        "requests.json",
        {**page, "status": "open", "service_code": code},
    )
    figure("requests_90d_page100_xml", "requests.xml", page)
    figure("requests_90d_page1000_public", "requests.json", window, page_size=1000)
    # Page 50 asked for straight away (no earlier page walked lately: OFFSET), then pages
    # 1 to 50 walked in order as a client pages through (each seeks past the one before).
    from django.core.cache import cache

    from open311 import views

    seek = views._seek_key({**window, "page_size": 100}, None, 100)
    cache.delete_many([f"{seek}:{n}" for n in range(1, 51)])
    figure("requests_90d_page100_page50", "requests.json", {**page, "page": 50})
    # Twice: the first walk reads its pages from disk on a fresh copy of the database (the
    # other figures repeat one page, so theirs are cached); the second is measured.
    for _walk in range(2):
        walk = []
        for n in range(1, 51):

            def one(n=n):
                response = client.get(base + "requests.json", {**page, "page": n})
                assert response.status_code == 200, response.content[:300]

            walk.extend(timings(one, repeat=1, warmup=0))
    emit("requests_90d_page100_walk_1_to_50_p95", p95(walk), "ms", **sizes, pages=50)
    emit("requests_90d_page100_walk_1_to_50_p50", statistics.median(walk), "ms", **sizes)
    cache.delete_many([f"{seek}:{n}" for n in range(1, 51)])
    figure("requests_90d_page100_extensions", "requests.json", {**page, "extensions": "true"})

    number = (
        records.readable(None).filter(created_at__lte=newest).order_by("-created_at").first().number
    )
    figure("request_one_public", f"requests/{number}.json", {})
    figure("request_one_key", f"requests/{number}.json", {"api_key": plain})

    day = {"start_date": (newest - timedelta(days=1)).isoformat(), "end_date": end}
    figure("updates_last_day", "servicerequestupdates.json", day)
    figure("updates_90d_first1000", "servicerequestupdates.json", window)

    # POST, rolled back: a building and its position in the first district.
    district = Area.objects.filter(path__startswith=city.path, kind="district").order_by("path")[0]
    building = (
        Area.objects.filter(path__startswith=district.path, kind="building")
        .order_by("path")
        .first()
    )
    # lat/long: the seed places only a few buildings (not always the scale city's); the
    # nearest place is looked up among every placed one.
    located = Area.objects.filter(kind="building", lat__isnull=False).order_by("path").first()
    service = Category.objects.filter(is_active=True, children__isnull=True).first() or (
        Category.objects.filter(is_active=True).first()
    )
    form = {"api_key": plain, "service_code": service.code, "description": "路面有坑（基准测试）"}
    # The service's required questions answered (open311.models.ServiceAttribute).
    for question in ServiceAttribute.objects.filter(category=service, required=True):
        values = question.values or []
        form[f"attribute[{question.code}]"] = str(values[0]["key"]) if values else "1"
    variants = [("post_by_address_id", {**form, "address_id": building.pk})]
    if located is not None:
        point = {"lat": located.lat + 0.0001, "long": located.lng}
        variants.append(("post_by_lat_long", {**form, **point}))
    for name, data in variants:
        try:
            with transaction.atomic():

                def post(data=data):
                    response = client.post(base + "requests.json", data)
                    assert response.status_code == 200, response.content[:300]

                post()  # the service memo and the scope cache filled, as on a live server
                queries = count_queries(post)
                samples = timings(post, repeat=POSTS, warmup=2)
                raise _Rollback
        except _Rollback:
            pass
        emit(f"{name}_queries", queries, "queries", **sizes)
        emit(f"{name}_p95", p95(samples), "ms", **sizes, posts=POSTS, rolled_back=True)
        emit(f"{name}_p50", statistics.median(samples), "ms", **sizes, posts=POSTS)
