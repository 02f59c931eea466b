"""The ladder's promotion proposals on hand-built cities: 3×18 (Putian) and 4×18 (Quanzhou)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.workforce.conftest import QUANZHOU, Staff, build_ladder
from workforce import actions
from workforce.models import (
    ChangeKind,
    PayTable,
    PromotionProposal,
    ProposalStatus,
    Qualification,
)

pytestmark = pytest.mark.django_db


def test_putian_3x18_proposals_follow_years_results_qualification_and_caps(staff):
    assert [s.name for s in staff.ladder.sequences.all()] == ["主管", "助理", "办事员"]
    plain = staff.worker(name="满两年称职", grade=3)  # in grade since 2022
    staff.assess(plain, 2025, 80)
    star = staff.worker(name="连续优秀持证", grade=3, qualification=Qualification.ASSISTANT)
    staff.assess(star, 2024, 95)
    staff.assess(star, 2025, 92)
    no_cert = staff.worker(name="优秀无证", grade=3)  # excellent but no certificate: one step
    staff.assess(no_cert, 2024, 95)
    staff.assess(no_cert, 2025, 95)
    weak = staff.worker(name="基本称职", grade=3)
    staff.assess(weak, 2025, 65)
    fresh = staff.worker(name="新晋级", grade=3, grade_since=date(2025, 3, 1))
    staff.assess(fresh, 2025, 85)
    capped = staff.worker(name="到顶", grade=18)
    staff.assess(capped, 2025, 95)
    unassessed = staff.worker(name="未考核", grade=2)

    made = actions.propose_promotions(staff.t.street, 2025, actor=staff.user("street"))
    got = {p.worker.name: (p.from_grade, p.to_grade, p.rule.name) for p in made}
    assert got == {
        "满两年称职": (3, 4, "称职满两年晋一级"),
        "连续优秀持证": (3, 5, "连续两年优秀持证晋两级"),
        "优秀无证": (3, 4, "称职满两年晋一级"),
    }
    assert weak.pk and fresh.pk and capped.pk and unassessed.pk  # none of them proposed
    # Idempotent: proposing again adds nothing.
    assert actions.propose_promotions(staff.t.street, 2025, actor=staff.user("street")) == []
    assert PromotionProposal.objects.count() == 3


def test_quanzhou_4x18_caps_per_sequence_and_rule(territory):
    ladder = build_ladder(territory.city, QUANZHOU)
    staff = Staff(t=territory, ladder=ladder)
    assert ladder.sequences.count() == 4
    aux = staff.worker(name="辅助岗九级", rank=4, grade=9, qualification=Qualification.ASSISTANT)
    staff.assess(aux, 2024, 95)
    staff.assess(aux, 2025, 95)  # two steps due, the sequence's cap (10) stops it at 10
    top = staff.worker(name="辅助岗十级", rank=4, grade=10)
    staff.assess(top, 2025, 80)  # at the cap: nothing
    deputy = staff.worker(name="副职", rank=2, grade=7)
    staff.assess(deputy, 2025, 80)
    rule = ladder.rules.get(steps=1)
    rule.max_grade = 7  # a rule's own cap
    rule.save()
    made = actions.propose_promotions(territory.street, 2025)
    assert {p.worker.name: p.to_grade for p in made} == {"辅助岗九级": 10}
    with pytest.raises(ValidationError):  # a grade beyond the sequence's cap is refused
        staff.worker(name="越级", rank=4, grade=11)


def test_approval_moves_the_grade_and_writes_history(staff):
    w = staff.worker(name="待批", grade=3)
    staff.assess(w, 2025, 80)
    [p] = actions.propose_promotions(staff.t.street, 2025)
    with pytest.raises(ValidationError) as exc:  # the community cannot decide
        actions.decide_proposal(p, approve=True, actor=staff.user("community_a"))
    assert "status" in exc.value.message_dict
    actions.decide_proposal(p, approve=True, actor=staff.user("street"), note="同意")
    w.refresh_from_db()
    assert (w.grade, w.grade_since) == (4, date(2026, 1, 1))
    entry = w.changes.filter(kind=ChangeKind.GRADE).get()
    assert entry.changes["grade"] == [3, 4] and entry.actor == staff.user("street")
    p.refresh_from_db()
    assert p.status == ProposalStatus.APPROVED
    with pytest.raises(ValidationError):  # decided once
        actions.decide_proposal(p, approve=False, actor=staff.user("street"), note="x")


def test_rejection_needs_a_reason_and_leaves_the_grade(staff):
    w = staff.worker(name="驳回", grade=3)
    staff.assess(w, 2025, 80)
    [p] = actions.propose_promotions(staff.t.street, 2025)
    with pytest.raises(ValidationError) as exc:
        actions.decide_proposal(p, approve=False, actor=staff.user("street"))
    assert "note" in exc.value.message_dict
    actions.decide_proposal(p, approve=False, actor=staff.user("street"), note="年度名额已满")
    w.refresh_from_db()
    assert w.grade == 3


def test_secretaries_are_assessed_twice_and_weights_apply(staff, head):
    with pytest.raises(ValidationError) as exc:
        actions.record_assessment(
            head, 2025, report="述职", report_score=90, residents_score=90, street_score=90
        )
    assert "party_report" in exc.value.message_dict
    a = actions.record_assessment(
        head,
        2025,
        report="述职",
        report_score=100,
        residents_score=80,
        street_score=90,
        party_report="党建述职",
        party_score=60,
        actor=staff.user("street"),
    )
    # (100×20 + 80×40 + 90×40 + 60×25) / 125 = 82.4
    assert str(a.total) == "82.40" and a.result == "competent"
    with pytest.raises(ValidationError):  # the community does not assess
        staff.assess(head, 2024, 90, actor=staff.user("community_a"))


def test_pay_table_history_never_overlaps(staff):
    ladder = staff.ladder
    rates = {
        (r.sequence_id, r.grade): r.monthly_pay + 100 for r in PayTable.objects.get().rates.all()
    }
    actions.set_pay_table(ladder, date(2026, 7, 1), rates, note="调薪")
    tables = list(PayTable.objects.order_by("effective_from"))
    assert [(t.effective_from, t.effective_to) for t in tables] == [
        (date(2025, 1, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), None),
    ]
    with pytest.raises(ValidationError):  # not before the latest table
        actions.set_pay_table(ladder, date(2026, 1, 1), rates)
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses it too
        PayTable.objects.create(ladder=ladder, effective_from=date(2026, 8, 1))
    missing = dict(list(rates.items())[1:])
    with pytest.raises(ValidationError) as exc:
        actions.set_pay_table(ladder, date(2027, 1, 1), missing)
    assert "rates" in exc.value.message_dict
