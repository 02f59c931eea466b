"""Demo data for Open311: the extra questions a few categories ask (so `services/{code}`
definitions, `metadata` true and the attribute checks of a POST have something to show).
Run by manage.py seed_demo after the services catalogue; idempotent."""

from __future__ import annotations

from open311.models import Datatype, ServiceAttribute
from services.models import Category

QUESTIONS: dict[str, list[dict]] = {
    "potholes": [
        {
            "code": "size",
            "description": "坑洼有多大？",
            "datatype": Datatype.SINGLE,
            "required": True,
            "values": [
                {"key": "small", "name": "小于脸盆"},
                {"key": "medium", "name": "脸盆到井盖大小"},
                {"key": "large", "name": "大于井盖"},
            ],
        },
        {
            "code": "lane_blocked",
            "description": "是否占用车道？",
            "datatype": Datatype.SINGLE,
            "values": [{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}],
        },
    ],
    "street-lights": [
        {
            "code": "pole_number",
            "description": "灯杆编号（杆身上的号码）",
            "datatype": Datatype.STRING,
            "datatype_description": "例如 QZ-0123",
        },
        {
            "code": "fault",
            "description": "故障情况",
            "datatype": Datatype.MULTI,
            "required": True,
            "values": [
                {"key": "dark", "name": "不亮"},
                {"key": "flicker", "name": "闪烁"},
                {"key": "daytime", "name": "白天亮灯"},
                {"key": "damaged", "name": "灯杆损坏"},
            ],
        },
    ],
    "rubbish": [
        {
            "code": "bags",
            "description": "大约几袋垃圾？",
            "datatype": Datatype.NUMBER,
        },
    ],
}


def seed(ctx=None) -> None:
    for code, questions in QUESTIONS.items():
        category = Category.objects.filter(code=code).first()
        if category is None:
            continue
        for order, question in enumerate(questions, start=1):
            ServiceAttribute.objects.get_or_create(
                category=category,
                code=question["code"],
                defaults={**{k: v for k, v in question.items() if k != "code"}, "order": order},
            )
