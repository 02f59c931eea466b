"""By default the time bank speaks Chinese: errors from actions and the phone pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from tests.volunteers.conftest import make_volunteer, place
from volunteers import actions

pytestmark = pytest.mark.django_db


def test_errors_and_pages_in_chinese_by_default(territory):
    order = place(territory)
    helper = make_volunteer(territory.user("grid_a"), territory.a.community)
    actions.take_order(order, helper.user)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as err:
        actions.check_in(order, helper.user, "bad")
    assert err.value.message_dict["token"] == ["二维码无效。"]
    client = Client()
    client.force_login(helper.user)
    page = client.get("/volunteers/points/").content.decode()
    assert "我的福分" in page and "福分余额" in page
