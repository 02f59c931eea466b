"""Chinese is the default: messages residents see come out in Chinese."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from centres import actions

pytestmark = pytest.mark.django_db


def test_errors_and_pages_speak_chinese_by_default(world):
    from django.test import Client

    client = Client()
    activity = world.activity(capacity=1)
    user = world.resident_user("r1")
    actions.sign_up(activity, actor=user)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        actions.sign_up(activity, actor=user)
    assert exc.value.message_dict["activity"] == ["您已报名此活动。"]
    body = client.get(reverse("centres:centre", args=[world.a.pk])).content.decode()
    assert "正在开放" in body or "现在闭馆" in body
    assert "老有所养" in body and "预约场地" in body
