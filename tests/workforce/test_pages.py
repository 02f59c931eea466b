"""Staff pages and the API: scope (404 out of scope) and the privacy of pay and assessments
(the worker, the community's head, the street's staff office only)."""

import io
import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from grids.models import Role
from tests.territory import assign, make_user
from workforce import actions
from workforce.models import PromotionProposal

pytestmark = pytest.mark.django_db


PAY = re.compile(r'id="pay"')


@pytest.mark.parametrize(
    ("who", "status", "sees_pay"),
    [
        ("street", 200, True),  # the street's staff office
        ("secretary_a", 200, True),  # the community's head
        ("grid_a", 200, True),  # the worker themself
        ("community_a", 200, False),  # community staff: the record, not the pay
        ("district", 200, False),  # above the street: the record, not the pay
        ("community_b", 404, False),
        ("grid_b", 404, False),
        ("resident_a", 404, False),
        ("unit_a", 404, False),
    ],
)
def test_worker_page_scope_and_pay(client, staff, people, who, status, sees_pay):
    user = people["head"].user if who == "secretary_a" else staff.user(who)
    client.force_login(user)
    response = client.get(f"/workforce/{people['mine'].pk}/")
    assert response.status_code == status
    if status == 200:
        body = response.content.decode()
        assert bool(PAY.search(body)) is sees_pay
        assert ("Yearly assessments" in body) is sees_pay
        assert "甲网格社工" in body and "History" in body


def test_the_head_of_one_community_sees_nothing_of_another(client, staff, people):
    client.force_login(people["head"].user)
    assert client.get(f"/workforce/{people['other'].pk}/").status_code == 404
    names = client.get("/workforce/").content.decode()
    assert "甲网格社工" in names and "乙全科社工" not in names


def test_api_hides_pay_outside_the_privacy_scope(client, staff, people):
    client.force_login(staff.user("community_a"))
    rows = client.get("/api/workforce/workers/").json()
    rows = rows.get("results", rows)
    assert {r["name"] for r in rows} == {"甲书记", "甲网格社工"}
    assert all(r["monthly_pay"] is None and r["last_result"] is None for r in rows)
    client.force_login(staff.user("street"))
    rows = client.get("/api/workforce/workers/").json()
    rows = {r["name"]: r for r in rows.get("results", rows)}
    assert float(rows["甲网格社工"]["monthly_pay"]) == 4000  # 6000 − 800 × rank 3 + 100 × grade 4
    assert rows["甲网格社工"]["last_result"] == "competent"
    client.force_login(staff.user("community_b"))
    assert client.get(f"/api/workforce/workers/{people['mine'].pk}/").status_code == 404


def test_worker_list_search_sort_empty_and_query_count(
    client, staff, people, django_assert_max_num_queries
):
    client.force_login(staff.user("street"))
    for i in range(15):
        staff.worker(name=f"批量{i:02d}", grade=1 + i % 5)
    with django_assert_max_num_queries(12):
        response = client.get("/workforce/?sort=grade")
    body = response.content.decode()
    assert response.status_code == 200 and "批量00" in body
    assert client.get("/workforce/?q=乙全").content.decode().count('href="/workforce/') >= 1
    empty = client.get("/workforce/?q=没有这个人").content.decode()
    assert "No worker matches this search." in empty
    download = client.get("/workforce/?format=xlsx")
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")


def test_proposals_page_generates_and_approves(client, staff, people):
    client.force_login(staff.user("street"))
    street = staff.t.street
    response = client.post("/workforce/proposals/", {"area": street.pk, "year": 2025})
    assert response.status_code == 302
    proposal = PromotionProposal.objects.get(worker=people["mine"])
    page = client.get(f"/workforce/proposals/?area={street.pk}&year=2025").content.decode()
    assert "甲网格社工" in page and "Approve" in page
    client.force_login(staff.user("community_a"))  # the community sees, never decides
    page = client.get(f"/workforce/proposals/?area={staff.t.a.community.pk}&year=2025")
    assert "Approve" not in page.content.decode()
    client.post(f"/workforce/proposals/{proposal.pk}/decide/", {"decision": "approve"})
    proposal.refresh_from_db()
    assert proposal.status == "proposed"
    client.force_login(staff.user("street"))
    client.post(f"/workforce/proposals/{proposal.pk}/decide/", {"decision": "approve"})
    people["mine"].refresh_from_db()
    assert people["mine"].grade == 5


def test_staffing_and_workload_pages(client, staff, people):
    client.force_login(staff.user("street"))
    page = client.get(f"/workforce/staffing/?area={staff.t.street.pk}")
    assert page.status_code == 200 and "甲社区" in page.content.decode()
    assert (
        client.get(f"/workforce/staffing/?area={staff.t.street.pk}&format=xlsx").status_code == 200
    )
    page = client.get(f"/workforce/workload/?area={staff.t.street.pk}")
    assert page.status_code == 200 and "甲网格社工" in page.content.decode()
    client.force_login(staff.user("community_b"))
    assert client.get(f"/workforce/staffing/?area={staff.t.a.community.pk}").status_code == 404
    client.force_login(staff.user("grid_a"))  # grid workers have no office pages
    assert client.get("/workforce/staffing/").status_code == 404


def test_leaving_ends_the_grid_membership_in_grids(staff, people):
    from grids.models import GridTeamMember

    mine = people["mine"]
    grid = staff.t.a.grids[1]
    actions.assign_to_grid(mine, grid, actor=staff.user("community_a"), starts_on=date(2026, 1, 1))
    member = GridTeamMember.objects.get(user=mine.user, grid=grid)
    assert member.role_assignment is not None  # the grid_worker role comes with it (grids)
    actions.end_service(mine, date(2026, 6, 30), actor=staff.user("community_a"))
    member.refresh_from_db()
    assert member.ends_on == date(2026, 6, 30)
    assert list(mine.changes.values_list("kind", flat=True))[:2] == ["left", "grid"]
    with pytest.raises(ValidationError) as exc:  # a grid of another community
        actions.assign_to_grid(people["other"], staff.t.a.grids[0])
    assert "grid" in exc.value.message_dict
    with pytest.raises(ValidationError):  # a full-time member needs an account to hold it
        actions.assign_to_grid(people["other"], staff.t.b.grids[1])


def test_pay_table_page_reads_for_the_street_and_imports_for_the_city(client, staff, people):
    from tests.workforce.test_import import book
    from workforce import excel
    from workforce.models import PayTable

    client.force_login(staff.user("community_a"))
    assert client.get("/workforce/pay/").status_code == 404
    client.force_login(staff.user("street"))
    page = client.get("/workforce/pay/").content.decode()
    assert "2025-01-01" in page and 'name="file"' not in page
    rows = excel.pay_rows(staff.ladder, date(2025, 6, 1))
    client.force_login(staff.user("district"))  # the district reads, the city decides
    page = client.get("/workforce/pay/").content.decode()
    assert 'name="file"' not in page
    city = make_user("city_staff", staff=True)
    assign(city, Role.CITY_STAFF, area=staff.t.city)
    client.force_login(city)
    raised = [[s, g, p + 300] for s, g, p in rows]
    upload = io.BytesIO(book(excel.PAY_COLUMNS, *raised))
    upload.name = "pay.xlsx"
    response = client.post("/workforce/pay/", {"effective_from": "2026-07-01", "file": upload})
    assert response.status_code == 302
    assert PayTable.objects.count() == 2
    assert client.get("/workforce/pay/?format=xlsx").status_code == 200


def test_the_street_records_an_assessment_on_the_worker_page(client, staff, people):
    head = people["head"]
    url = f"/workforce/{head.pk}/assess/"
    form = {"year": 2025, "report": "述职", "residents_score": 90, "street_score": 90}
    client.force_login(staff.user("community_a"))
    assert client.post(url, form).status_code == 404  # the community does not assess
    client.force_login(staff.user("street"))
    response = client.post(url, form, follow=True)  # a secretary needs the party report too
    assert "party building" in response.content.decode()
    assert not head.assessments.exists()
    form.update(party_report="党建述职", party_score=95, report_score=85)
    response = client.post(url, form, follow=True)
    assert "is recorded" in response.content.decode()
    assert head.assessments.get(year=2025).result == "excellent"
    bad = client.post(url, {**form, "residents_score": "abc"}, follow=True)
    assert "score from 0 to 100" in bad.content.decode()


def test_admin_edits_a_worker_through_update_worker(client, staff, people):
    mine = people["mine"]
    client.force_login(staff.user("community_a"))
    url = f"/admin/workforce/worker/{mine.pk}/change/"
    form = {
        "name": "甲网格社工",
        "position": "general",
        "contract_kind": "service",
        "contract_ends_on": "2028-12-31",
        "qualification": "social_worker",
        "education": "bachelor",
        "changes-TOTAL_FORMS": "0",
        "changes-INITIAL_FORMS": "0",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    mine.refresh_from_db()
    assert (mine.position, mine.qualification) == ("general", "social_worker")
    entry = mine.changes.filter(kind="changed").get()
    assert entry.changes["position"] == ["grid", "general"] and entry.actor == staff.user(
        "community_a"
    )
    client.force_login(staff.user("community_b"))
    assert client.get(url).status_code in (302, 404)
    assert client.post(url, form).status_code in (302, 404)


def test_worker_page_and_proposals_query_counts(
    client, staff, people, django_assert_max_num_queries
):
    client.force_login(staff.user("street"))
    mine = people["mine"]
    for year in (2023, 2024):
        staff.assess(mine, year, 85)
    actions.propose_promotions(staff.t.street, 2025)
    client.get("/workforce/")  # warm the scope cache
    # The user, the worker, the pay scope's heads, grids held, history, pay rates,
    # assessments, proposals: eight, however long the history.
    with django_assert_max_num_queries(8):
        assert client.get(f"/workforce/{mine.pk}/").status_code == 200
    # The user, the area, the pay scope's heads, the proposals with their workers.
    with django_assert_max_num_queries(4):
        page = client.get(f"/workforce/proposals/?area={staff.t.street.pk}&year=2025")
    assert page.status_code == 200
