"""The flow presets and kinds every city starts with (editable in the admin)."""

from django.db import migrations

PRESETS = [
    (
        "four-meetings",
        "四会议事",
        ["deployment", "hearing", "consultation", "evaluation"],
        False,
        True,
        "工作部署会、民情恳谈会、议事协商会、年度评估会：大事共议、急事共商、要事共决。",
    ),
    (
        "two-two-two",
        "两议两评两公开",
        ["hearing", "consultation"],
        True,
        True,
        "党组织提议、居民（业主）商议；方案公开、结果公开；居民评议、效果评估。",
    ),
    ("simple", "简易议事", ["consultation"], False, False, "小事一议：协商后表决。"),
]

KINDS = [
    # code, name, preset, unit, quorum, majority, weighted, secret, threshold
    ("public-affairs", "公共事务", "four-meetings", "household", "half", "half", False, False, 10),
    ("environment", "环境整治", "four-meetings", "household", "half", "half", False, False, 10),
    (
        "maintenance-fund",
        "维修资金使用",
        "two-two-two",
        "household",
        "two_thirds",
        "half",
        True,
        True,
        20,
    ),
    ("estate-rules", "小区公约", "two-two-two", "person", "half", "half", False, False, 15),
]


def seed(apps, schema_editor):
    Preset = apps.get_model("deliberation", "Preset")
    MatterKind = apps.get_model("deliberation", "MatterKind")
    presets = {}
    for code, name, meetings, publish, evaluate, desc in PRESETS:
        presets[code], _ = Preset.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "meetings": meetings,
                "publish_plan": publish,
                "evaluate": evaluate,
                "description": desc,
            },
        )
    for code, name, preset, unit, quorum, majority, weighted, secret, threshold in KINDS:
        MatterKind.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "preset": presets[preset],
                "vote_unit": unit,
                "quorum": quorum,
                "majority": majority,
                "weighted_by_area": weighted,
                "secret": secret,
                "cosign_threshold": threshold,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("deliberation", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
