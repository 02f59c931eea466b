"""POST requests beyond the plain form: a photo in the POST itself (multipart `media`, through
the photo pipeline), `attribute[code]` answers, Chicago's extensions=true (notes), and the
idempotency key that keeps a retried POST from filing twice — also when the retries arrive at
once (threads, real PostgreSQL, the unique constraint decides)."""

from __future__ import annotations

import io
import json
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from PIL import Image

from open311 import actions as o311
from open311.models import Submission
from services import actions as case_actions
from services.models import Case, CasePhoto
from tests.open311.test_read import envelope, get, xml
from tests.open311.test_write import file, filed


def _jpeg(name="photo.jpg", size=(60, 40)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


# --- media upload ------------------------------------------------------------------------------


def test_a_photo_in_the_post_is_saved_with_the_case(client, desk, key, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    row, plain = key
    case = filed(file(client, plain, address_id=desk.t.a.buildings[0].pk, media=_jpeg()))
    photos = CasePhoto.objects.filter(case=case)
    assert photos.count() == 1
    # Re-encoded by the pipeline, and shown to the key that filed it.
    assert photos.get().image.name.endswith(".jpg")
    mine = json.loads(get(client, f"requests/{case.number}.json", api_key=plain).content)[0]
    assert mine["media_url"].startswith("http://testserver/")
    assert case.open311.media_state == ""  # nothing left to fetch


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_bad_photo_is_refused_naming_media_and_nothing_is_saved(
    client, desk, key, settings, tmp_path, fmt
):
    settings.MEDIA_ROOT = tmp_path
    _row, plain = key
    place = desk.t.a.buildings[0].pk
    text = SimpleUploadedFile("note.jpg", b"not a picture", content_type="image/jpeg")
    big = SimpleUploadedFile("big.jpg", b"\xff" * (8 * 1024 * 1024 + 1), content_type="image/jpeg")
    for media, words in ((text, "not an image"), (big, "larger than")):
        descriptions = envelope(file(client, plain, fmt=fmt, address_id=place, media=media), 400)
        assert descriptions[0].startswith("media: ") and words in descriptions[0], descriptions
    ten = [_jpeg(f"p{i}.jpg") for i in range(10)]
    assert "media" in envelope(file(client, plain, fmt=fmt, address_id=place, media=ten), 400)[0]
    assert Case.objects.count() == 0 and Submission.objects.count() == 0
    assert CasePhoto.objects.count() == 0


# --- attributes and extensions -----------------------------------------------------------------


def test_attributes_are_kept_and_echoed_to_the_filer_with_the_notes(client, desk, key):
    _row, plain = key
    case = filed(
        file(
            client,
            plain,
            address_id=desk.t.a.buildings[0].pk,
            **{
                "attribute[fixmystreet_id]": "1001",
                "attribute[report_url]": "https://fms.example/report/1001",
                "attribute[kinds][]": ["a", "b"],
            },
        )
    )
    assert case.open311.attributes == {
        "fixmystreet_id": "1001",
        "report_url": "https://fms.example/report/1001",
        "kinds": ["a", "b"],
    }
    case_actions.dispatch(case, actor=None)
    mine = json.loads(
        get(client, f"requests/{case.number}.json", api_key=plain, extensions="true").content
    )[0]
    extended = mine["extended_attributes"]
    assert {"code": "kinds", "value": "a,b"} in extended["attributes"]
    assert [n["type"] for n in extended["notes"]] == ["submit", "dispatch"]
    # Without the extension the record is the spec's alone.
    plain_row = json.loads(get(client, f"requests/{case.number}.json", api_key=plain).content)[0]
    assert "extended_attributes" not in plain_row
    # Anyone: the notes in plain words, never the filer's attributes.
    public = json.loads(get(client, "requests.json", extensions="true").content)
    assert public[0]["extended_attributes"]["attributes"] == []
    assert public[0]["extended_attributes"]["notes"][0]["description"] == ""
    root = xml(get(client, f"requests/{case.number}.xml", api_key=plain, extensions="1"))
    assert root.find("request/extended_attributes/notes/note/type").text == "submit"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_attributes_name_the_parameter(client, desk, key, fmt):
    _row, plain = key
    place = desk.t.a.buildings[0].pk
    for data, name in (
        ({"attribute[a][b]": "x"}, "attribute[a][b]"),
        ({"attribute": "x"}, "attribute"),
        ({"attribute[]": "x"}, "attribute[]"),
        ({"attribute[a]": "x" * 1001}, "attribute[a]"),
        ({"attribute[a]": "x\x01"}, "attribute[a]"),
        ({f"attribute[k{i}]": "v" for i in range(51)}, "attribute"),
    ):
        descriptions = envelope(file(client, plain, fmt=fmt, address_id=place, **data), 400)
        assert descriptions[0].startswith(f"{name}: "), descriptions
    assert Case.objects.count() == 0


# --- idempotency -------------------------------------------------------------------------------


def test_a_retried_post_answers_the_same_request(client, desk, key, issue):
    _row, plain = key
    place = desk.t.a.buildings[0].pk
    headers = {"Idempotency-Key": "fms-retry-7"}
    first = client.post(
        "/open311/v2/requests.json",
        {"api_key": plain, "service_code": "potholes", "description": "坑", "address_id": place},
        headers=headers,
    )
    again = client.post(
        "/open311/v2/requests.xml",
        {"api_key": plain, "service_code": "potholes", "description": "坑", "address_id": place},
        headers=headers,
    )
    number = filed(first).number
    assert xml(again).find("request/service_request_id").text == number
    assert xml(again).find("request/token").text == json.loads(first.content)[0]["token"]
    # FixMyStreet sends no header but its own report id with every POST, and again on retry.
    fms = {"attribute[fixmystreet_id]": "42", "address_id": place}
    one, two = file(client, plain, **fms), file(client, plain, **fms)
    assert filed(one).number == filed(two).number != number
    # The key is per API key: another system's "42" is its own report.
    _other, other = issue(name="Other app")
    assert filed(file(client, other, **fms)).number != filed(one).number
    # No key at all: every POST is a new request.
    assert filed(file(client, plain, address_id=place)) != filed(
        file(client, plain, address_id=place)
    )
    assert Case.objects.count() == 5


def test_a_bad_idempotency_key_is_refused(client, desk, key):
    _row, plain = key
    data = {"api_key": plain, "service_code": "potholes", "description": "坑"}
    data["address_id"] = desk.t.a.buildings[0].pk
    for value in ("x" * 101, "键"):
        response = client.post(
            "/open311/v2/requests.json", data, headers={"Idempotency-Key": value}
        )
        assert envelope(response, 400)[0].startswith("Idempotency-Key: ")
    assert Case.objects.count() == 0


def test_the_database_holds_one_submission_per_key_and_idempotency_key(client, desk, key):
    row, plain = key
    case = filed(file(client, plain, address_id=desk.t.a.buildings[0].pk))
    Submission.objects.filter(case=case).update(idempotency_key="k1")
    other = desk.file(place=desk.t.a.buildings[1])
    with pytest.raises(IntegrityError), transaction.atomic():
        Submission.objects.create(case=other, key=row, token="t2", idempotency_key="k1")
    # Empty means "none": any number of those.
    Submission.objects.create(case=other, key=row, token="t3", idempotency_key="")


@pytest.mark.django_db(transaction=True)
def test_duplicate_posts_at_once_file_one_case(transactional_territory, monkeypatch):
    """Eight clients send the same POST at the same moment, each past the "filed before?"
    check before any has committed: the unique constraint lets one filing commit, the others
    roll back whole and answer its number."""
    from django.test import Client

    from tests.services.conftest import build_desk

    desk = build_desk(transactional_territory)
    _row, plain = o311.issue_key(name="FixMyStreet", actor=desk.user("superuser"))
    place = desk.t.a.buildings[0].pk
    real = o311.filed_before
    calls = threading.local()
    barrier = threading.Barrier(8, timeout=30)

    def racing(key, idempotency_key):
        # The view's and the action's early checks find nothing (as when all arrive before
        # the first commits); the look-up after the constraint refused an insert is real.
        calls.n = getattr(calls, "n", 0) + 1
        if calls.n == 1:
            barrier.wait()
        return None if calls.n <= 2 else real(key, idempotency_key)

    monkeypatch.setattr(o311, "filed_before", racing)
    answers: list = []
    errors: list = []

    def send_form():
        try:
            response = Client().post(
                "/open311/v2/requests.json",
                {
                    "api_key": plain,
                    "service_code": "potholes",
                    "description": "同一个坑",
                    "address_id": place,
                },
                headers={"Idempotency-Key": "same-report"},
            )
            answers.append((response.status_code, response.content))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send_form) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert [status for status, _ in answers] == [200] * 8, answers
    numbers = {json.loads(body)[0]["service_request_id"] for _, body in answers}
    assert len(numbers) == 1
    assert Case.objects.count() == 1 and Submission.objects.count() == 1
    assert Case.objects.get().number in numbers


def test_query_count_with_extensions_is_pinned(client, desk, key, django_assert_max_num_queries):
    _row, plain = key
    for _ in range(3):
        filed(file(client, plain, address_id=desk.t.a.buildings[0].pk))
    for _ in range(5):
        desk.dispatched()
    # The key, the cases, their names, their latest steps, their photos, every step, the
    # attributes: the same for 8 requests as for 80.
    with django_assert_max_num_queries(7):
        rows = json.loads(get(client, "requests.json", api_key=plain, extensions="true").content)
    assert len(rows) == 8 and all("notes" in r["extended_attributes"] for r in rows)
