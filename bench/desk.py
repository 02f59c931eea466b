"""The 12345 desk on the city-scale seed (make seed-city; 1,000,000 cases for the issue's figures).

Figures, each with its query count, for a district, a street and a community user (and the
whole city, for reference): the home page's counts (the view, and the one count query alone);
the case list with several filters and page sizes; word search (two-character and longer
words, several words, a case number). Each figure is a p95 over BENCH_DESK_REPEAT requests
through Django's test client (the whole view: session, scope, filters, template).

The seed's descriptions are placeholders ("规模测试工单 17"), which no search would look for:
the first run rewrites them (once, in place) from a small corpus of real 12345 complaints, so
that word search meets realistic word frequencies (a problem phrase in about 3 % of cases,
"老人" in about 13 %). The seed also carries no cards and few deadlines today: the first run
gives 1 % of the open cases a yellow card, 1 % a red one, and 0.5 % a deadline later today.
"""

from __future__ import annotations

import os
import time

from bench._util import count_queries, p95, timings

REPEAT = int(os.environ.get("BENCH_DESK_REPEAT", "40"))

PROBLEMS = [
    "楼道灯坏了好几天",
    "小区门口占道摆摊",
    "下水道堵塞污水外溢",
    "路面有坑老人容易摔倒",
    "夜间施工噪音扰民",
    "楼上漏水渗到我家天花板",
    "垃圾清运不及时有异味",
    "电动车在楼道充电有安全隐患",
    "路灯不亮晚上很黑",
    "共享单车乱停乱放堵住通道",
    "小区电梯经常停运",
    "广场舞音乐声音太大",
    "井盖缺失很危险",
    "违章搭建占用公共绿地",
    "餐馆油烟直排影响居民",
    "停车位被长期占用",
    "自来水水压不足",
    "树木倒伏压住电线",
    "流浪狗在小区伤人",
    "燃气管道有异味",
    "外墙瓷砖脱落砸到车",
    "消防通道被杂物堵住",
    "公交站台顶棚破损",
    "空调外机滴水到行人身上",
    "物业费收取不合理",
    "学校门口上下学交通拥堵",
    "装修垃圾在楼下乱堆放",
    "河道漂浮垃圾发臭",
    "公厕无人打扫",
    "健身器材损坏无人维修",
]
CONTEXTS = [
    "在3号楼东侧",
    "在小区南门",
    "在菜市场旁边",
    "在幼儿园对面",
    "在公交站附近",
    "已经持续一周",
    "多次反映未解决",
    "影响老人和小孩出行",
    "晚上十点以后尤其严重",
    "周边居民意见很大",
]
REQUESTS = ["请尽快处理", "希望相关部门核实", "请派人查看", "盼复", "请社区协调解决"]

# (label, query) for the list; {grid} and {area} are filled per user.
LIST_CASES = [
    ("plain", {}),
    ("plain_100", {"per": 100}),
    ("plain_200", {"per": 200}),
    ("state_in_progress", {"state": "in_progress"}),
    ("returned", {"queue": "returned"}),
    ("red_by_deadline", {"band": "red", "sort": "deadline"}),
    ("today", {"band": "today", "sort": "deadline"}),
    ("type_category", {"case_type": "complaint", "category": "{category}"}),
    ("channel_hotline_50", {"channel": "hotline", "per": 50}),
    ("grid", {"grid": "{grid}"}),
    ("dates_week", {"created_from": "{week_ago}", "created_to": "{today}"}),
    ("sort_place", {"sort": "place"}),
    ("page_10", {"page": 10}),
]
SEARCHES = [
    ("two_chars", "漏水"),
    ("two_chars_common", "老人"),
    ("four_chars", "井盖缺失"),
    ("two_words", "电梯 停运"),
    ("no_match", "飞碟降落"),
    ("number", "{number}"),
]


def realistic_descriptions() -> int:
    """Rewrite the seed's placeholder descriptions from the corpus, deterministically by id.
    Returns how many rows changed (0 when done before)."""
    from django.db import connection

    def array(words: list[str]) -> str:
        return "ARRAY[" + ",".join("'" + w + "'" for w in words) + "]"

    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE services_case SET description =
                ({array(PROBLEMS)})[1 + (id * 7919) %% {len(PROBLEMS)}] || '（' ||
                (1 + id %% 97)::text || '号楼），' ||
                ({array(CONTEXTS)})[1 + (id / 7) %% {len(CONTEXTS)}] || '，' ||
                ({array(REQUESTS)})[1 + (id / 70) %% {len(REQUESTS)}] || '。'
            WHERE description LIKE %s
            """,
            ["规模测试工单%"],
        )
        changed = cursor.rowcount
        if changed:
            cursor.execute("VACUUM ANALYZE services_case")
    return changed


def deadlines_and_cards() -> int:
    """Give some open cases a card and a deadline today (the seed sets none): 1 % yellow,
    1 % red, 0.5 % due later today. Rows already so are left alone; returns how many moved."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    end = timezone.localtime(now).replace(hour=23, minute=0, second=0, microsecond=0)
    later = now + (end - now) / 2 if end > now else now
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    open_ = "state IN ('dispatched', 'signed', 'in_progress')"
    n = 0
    with connection.cursor() as cursor:
        card = (
            f"UPDATE services_case SET card_level = %s "
            f"WHERE {open_} AND id %% 100 = %s AND card_level <> %s"
        )
        for level in (1, 2):
            cursor.execute(card, [level, level, level])
            n += cursor.rowcount
        cursor.execute(
            f"UPDATE services_case SET resolve_due = %s WHERE {open_} AND id %% 200 = 3 "
            "AND NOT (resolve_due >= %s AND resolve_due > %s)",
            [later, start, now],
        )
        n += cursor.rowcount
        if n:
            cursor.execute("VACUUM ANALYZE services_case")
    return n


def _users():
    """A city, a district, a street and a community user on the seed's first of each."""
    from django.contrib.auth import get_user_model

    from grids.models import Area, Role, RoleAssignment

    city = Area.objects.filter(code="SCALE", depth=1).first()
    if city is None:
        raise RuntimeError("run `make seed-city` first (manage.py seed_demo --scale city)")
    User = get_user_model()
    out = {}
    for kind, role in (
        ("city", Role.CITY_STAFF),
        ("district", Role.DISTRICT_STAFF),
        ("street", Role.STREET_STAFF),
        ("community", Role.COMMUNITY_STAFF),
    ):
        area = Area.objects.filter(path__startswith=city.path, kind=kind).order_by("path")[0]
        user, _ = User.objects.get_or_create(
            username=f"bench-desk-{kind}", defaults={"is_staff": True}
        )
        RoleAssignment.objects.get_or_create(user=user, role=role, area=area)
        out[kind] = (user, area)
    return out


def _fill(params: dict, values: dict) -> dict:
    return {k: (v.format(**values) if isinstance(v, str) else v) for k, v in params.items()}


def _shown(user, query: dict) -> int:
    """How many cases the list says it holds for this query (capped as the page caps it); the
    test client records no template context outside the test runner."""
    from django.http import QueryDict
    from django.utils.http import urlencode

    from services.desk import cases, options
    from services.desk.filters import CaseFilter, Viewer
    from services.models import Case

    data = QueryDict(urlencode(query))
    viewer = Viewer.of(user)
    choices = options.Choices(user, viewer.scope, chosen_area=data.get("area", ""))
    f = CaseFilter(data, Case.objects.visible_to(user), viewer=viewer, choices=choices)
    cap = cases.SEARCH_CAP if f.searching_words() else cases.LIST_CAP
    return cases.CaseRows(f.qs, f.sort_order(), cap, {}).count()


def run(emit) -> None:
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from grids.models import Area
    from services.desk.counts import _count, tiles_for
    from services.desk.filters import Viewer
    from services.models import Case, Category

    start = time.perf_counter()
    rewritten = realistic_descriptions()
    if rewritten:
        emit("rewrite_descriptions_s", time.perf_counter() - start, "s", rows=rewritten)
    carded = deadlines_and_cards()
    if carded:
        emit("seed_cards_and_deadlines", carded, "rows")
    total = Case.objects.count()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_relation_size('services_case_words'), pg_relation_size('services_case_desk')"
        )
        words_size, desk_size = cursor.fetchone()
    emit("index_words_mb", words_size / 2**20, "MB", cases=total)
    emit("index_desk_mb", desk_size / 2**20, "MB", cases=total)

    category = Category.objects.filter(parent__isnull=False).order_by("pk").first()
    today = timezone.localdate()
    for kind, (user, area) in _users().items():
        scope_cases = Case.objects.filter(place_path__startswith=area.path).count()
        sizes = {"cases": total, "in_scope": scope_cases, "user": kind}
        client = Client()
        client.force_login(user)
        grid = Area.objects.filter(path__startswith=area.path, kind="grid").order_by("path")[0]
        number = (
            Case.objects.filter(place_path__startswith=area.path)
            .order_by("-number")
            .values_list("number", flat=True)[7]
        )
        values = {
            "grid": grid.pk,
            "category": category.pk if category else "",
            "week_ago": (today - timezone.timedelta(days=7)).isoformat(),
            "today": today.isoformat(),
            "number": number,
        }

        # --- counts ----------------------------------------------------------------------------
        def home(c=client):
            response = c.get("/desk/")
            assert response.status_code == 200, response.status_code

        emit("home_queries", count_queries(home), "queries", **sizes)
        emit("home_p95", p95(timings(home, repeat=REPEAT)), "ms", **sizes)
        # The count query alone, never from the cache (the city's home page is, see counts).
        viewer = Viewer.of(user)
        keys = tiles_for(viewer)
        emit(
            "counts_query_p95",
            p95(timings(lambda u=user, v=viewer, k=keys: _count(u, v, k), repeat=REPEAT)),
            "ms",
            **sizes,
        )

        # --- the list --------------------------------------------------------------------------
        for label, params in LIST_CASES:
            query = _fill(params, values)

            def page(c=client, q=query):
                response = c.get("/desk/cases/", q)
                assert response.status_code == 200, response.status_code
                return response

            shown = _shown(user, query)
            emit(f"list_{label}_queries", count_queries(page), "queries", **sizes)
            emit(f"list_{label}_p95", p95(timings(page, repeat=REPEAT)), "ms", **sizes, shown=shown)

        # --- word search -----------------------------------------------------------------------
        for label, term in SEARCHES:
            q = {"q": term.format(**values)}

            def search(c=client, q=q):
                response = c.get("/desk/cases/", q)
                assert response.status_code == 200, response.status_code
                return response

            shown = _shown(user, q)
            emit(f"search_{label}_queries", count_queries(search), "queries", **sizes)
            emit(
                f"search_{label}_p95",
                p95(timings(search, repeat=REPEAT)),
                "ms",
                **sizes,
                shown=shown,
            )
