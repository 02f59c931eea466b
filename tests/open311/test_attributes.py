"""Service attributes: the extra questions a category asks (open311.models.ServiceAttribute),
shown in `services` (metadata) and `services/{code}`, and checked on a POST."""

from __future__ import annotations

import json

import pytest

from open311.models import Datatype, ServiceAttribute, Submission
from services.models import Case
from tests.open311.test_read import envelope, get, xml
from tests.open311.test_write import file


@pytest.fixture
def asked(desk):
    """Water asks two questions: a required one-of-a-list and an optional number."""
    ServiceAttribute.objects.create(
        category=desk.water,
        code="where",
        description="哪里漏水？",
        datatype=Datatype.SINGLE,
        required=True,
        order=1,
        values=[{"key": "pipe", "name": "水管"}, {"key": "meter", "name": "水表"}],
    )
    ServiceAttribute.objects.create(
        category=desk.water, code="floors", description="几层楼受影响？", datatype="number", order=2
    )
    return desk


def test_metadata_is_true_where_the_category_asks(client, asked):
    body = {s["service_code"]: s for s in json.loads(get(client, "services.json").content)}
    assert body["water"]["metadata"] is True
    assert body["potholes"]["metadata"] is False
    root = xml(get(client, "services.xml"))
    by_code = {s.findtext("service_code"): s.findtext("metadata") for s in root.findall("service")}
    assert by_code["water"] == "true" and by_code["potholes"] == "false"


def test_the_definition_lists_the_questions_in_order(client, asked):
    body = json.loads(get(client, "services/water.json").content)
    assert body["service_code"] == "water"
    assert [a["code"] for a in body["attributes"]] == ["where", "floors"]
    where = body["attributes"][0]
    assert where == {
        "variable": True,
        "code": "where",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": "",
        "order": 1,
        "description": "哪里漏水？",
        "values": [{"key": "pipe", "name": "水管"}, {"key": "meter", "name": "水表"}],
    }
    assert body["attributes"][1]["values"] == []
    root = xml(get(client, "services/water.xml"))  # valid against the schema
    assert [v.findtext("key") for v in root.findall("attributes/attribute/values/value")] == [
        "pipe",
        "meter",
    ]


@pytest.mark.parametrize(
    ("sent", "named"),
    [
        ({}, "attribute[where]"),
        ({"attribute[where]": "roof"}, "attribute[where]"),
        ({"attribute[where][]": ["pipe", "meter"]}, "attribute[where]"),
        ({"attribute[where]": "pipe", "attribute[floors]": "three"}, "attribute[floors]"),
    ],
)
def test_a_missing_or_bad_answer_is_refused_and_nothing_saved(client, asked, key, sent, named):
    _row, plain = key
    building = asked.t.a.buildings[0]
    before = Case.objects.count()
    response = file(client, plain, service_code="water", address_id=building.pk, **sent)
    [message] = envelope(response, 400)
    assert message.startswith(f"{named}: ")
    assert Case.objects.count() == before and not Submission.objects.exists()


def test_good_answers_are_kept_with_the_submission(client, asked, key):
    _row, plain = key
    building = asked.t.a.buildings[0]
    response = file(
        client,
        plain,
        service_code="water",
        address_id=building.pk,
        **{"attribute[where]": "meter", "attribute[floors]": "2", "attribute[other]": "x"},
    )
    assert response.status_code == 200, response.content
    assert Submission.objects.get().attributes == {"where": "meter", "floors": "2", "other": "x"}


def test_a_list_question_needs_values_and_the_values_their_shape(desk):
    from django.core.exceptions import ValidationError

    bad = [
        ServiceAttribute(
            category=desk.water, code="a", description="?", datatype="singlevaluelist"
        ),
        ServiceAttribute(category=desk.water, code="b", description="?", values=[{"key": "x"}]),
        ServiceAttribute(
            category=desk.water, code="c", description="?", datatype="multivaluelist", values=["x"]
        ),
    ]
    for attribute in bad:
        with pytest.raises(ValidationError):
            attribute.full_clean()


def test_the_demo_seed_gives_categories_questions(db):
    from open311 import demo
    from services.demo import seed_catalogue

    seed_catalogue()
    demo.seed()
    demo.seed()  # idempotent
    asking = set(ServiceAttribute.objects.values_list("category__code", flat=True))
    assert {"potholes", "street-lights"} <= asking
    for attribute in ServiceAttribute.objects.all():
        attribute.full_clean()
    assert ServiceAttribute.objects.filter(required=True).count() >= 2
