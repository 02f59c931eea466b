"""Exactly-once POSTs (portal.idempotency) and the rate limiter."""

import threading
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpResponse, HttpResponseRedirect
from django.test import RequestFactory

from portal.idempotency import idempotent
from portal.models import IdempotencyKey, User
from portal.ratelimit import hit


@idempotent
def make_user_view(request):
    username = request.POST.get("username", "")
    if not username:
        return HttpResponse("username is required", status=400)
    user = User.objects.create(username=username)
    return HttpResponseRedirect(f"/people/{user.pk}/")


def post(key, **data):
    request = RequestFactory().post("/x/", {"idempotency_key": key, **data})
    request.user = AnonymousUser()
    return request


@pytest.mark.django_db
def test_a_retried_post_returns_the_first_result_and_writes_once():
    key = uuid.uuid4().hex
    first = make_user_view(post(key, username="li"))
    second = make_user_view(post(key, username="li"))
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert User.objects.filter(username="li").count() == 1


@pytest.mark.django_db
def test_a_rejected_post_keeps_no_key_so_the_corrected_form_can_be_sent():
    key = uuid.uuid4().hex
    assert make_user_view(post(key)).status_code == 400
    assert not IdempotencyKey.objects.filter(key=key).exists()
    assert make_user_view(post(key, username="wang")).status_code == 302
    assert User.objects.filter(username="wang").count() == 1


@pytest.mark.django_db
def test_posts_without_a_key_run_normally():
    make_user_view(post("", username="a1"))
    make_user_view(post("short", username="a2"))  # malformed keys are ignored, not trusted
    assert User.objects.filter(username__in=["a1", "a2"]).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_racing_retries_of_one_submission_write_once():
    key = uuid.uuid4().hex
    barrier = threading.Barrier(4)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(make_user_view(post(key, username="racer"))["Location"])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and len(set(results)) == 1
    assert User.objects.filter(username="racer").count() == 1


def test_rate_limit_counts_per_bucket_and_window():
    bucket = f"test-{uuid.uuid4().hex}"
    assert [hit(bucket, 3, 60) for _ in range(5)] == [True, True, True, False, False]
    assert hit(f"{bucket}-other", 3, 60) is True
