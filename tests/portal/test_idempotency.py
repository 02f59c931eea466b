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


BROWSER = "b" * 32  # an anonymous browser's CSRF secret (it holds one from the form page on)


def post(key, path="/x/", user=None, browser=BROWSER, **data):
    request = RequestFactory().post(path, {"idempotency_key": key, **data})
    request.user = user or AnonymousUser()
    if browser:
        request.META["CSRF_COOKIE"] = browser
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
    assert not IdempotencyKey.objects.exists()
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


@pytest.mark.django_db
def test_a_key_is_bound_to_its_owner_and_url():
    """The review's finding: one user's key replayed another user's answer (their tracking
    link). Now the same key from someone else, or on another page, is a new submission."""
    key = uuid.uuid4().hex
    li = User.objects.create(username="li-owner")
    wang = User.objects.create(username="wang-owner")
    mine = make_user_view(post(key, user=li, username="li-case"))
    theirs = make_user_view(post(key, user=wang, username="wang-case"))
    assert mine["Location"] != theirs["Location"]
    other_browser = make_user_view(post(key, browser="c" * 32, username="anon-case"))
    assert other_browser["Location"] not in (mine["Location"], theirs["Location"])
    elsewhere = make_user_view(post(key, path="/y/", user=li, username="li-elsewhere"))
    assert elsewhere["Location"] != mine["Location"]
    assert User.objects.filter(username__endswith="-case").count() == 3
    # ...while the owner's own retry on the same page is still answered from the first.
    again = make_user_view(post(key, user=li, username="li-case"))
    assert again["Location"] == mine["Location"]
    assert not IdempotencyKey.objects.filter(key=key).exists()  # stored bound, not raw


@pytest.mark.django_db
def test_a_request_with_no_owner_is_not_guarded():
    key = uuid.uuid4().hex
    make_user_view(post(key, browser=None, username="nobody-1"))
    make_user_view(post(key, browser=None, username="nobody-2"))
    assert User.objects.filter(username__startswith="nobody-").count() == 2
    assert not IdempotencyKey.objects.exists()


def test_rate_limit_counts_per_bucket_and_window():
    bucket = f"test-{uuid.uuid4().hex}"
    assert [hit(bucket, 3, 60) for _ in range(5)] == [True, True, True, False, False]
    assert hit(f"{bucket}-other", 3, 60) is True
