"""The yearly promotion round proposed by beat (workforce.tasks.propose_yearly_promotions)."""

import pytest

from portal.beat import BEAT_SCHEDULE
from workforce.models import PromotionProposal
from workforce.tasks import propose_yearly_promotions

pytestmark = pytest.mark.django_db


def test_beat_proposes_once_after_the_configured_day(staff, people, settings):
    settings.LINLI_WORKFORCE_PROPOSE_ON = "12-15"
    assert BEAT_SCHEDULE["workforce.propose_yearly_promotions"]["task"] == (
        "workforce.tasks.propose_yearly_promotions"
    )
    for w in (people["mine"], people["other"], people["head"]):
        staff.assess(w, 2026, 80)
    assert propose_yearly_promotions("2026-12-14") == {}  # before the day: nothing
    assert not PromotionProposal.objects.exists()

    first = propose_yearly_promotions.apply(kwargs={"today": "2026-12-15"}).get()
    proposals = list(PromotionProposal.objects.order_by("pk").values_list("worker_id", "year"))
    assert first == {staff.t.street.code or staff.t.street.name: len(proposals)}
    assert (people["mine"].pk, 2026) in proposals and (people["other"].pk, 2026) in proposals
    mine = PromotionProposal.objects.get(worker=people["mine"])
    assert (mine.from_grade, mine.to_grade) == (4, 5)

    second = propose_yearly_promotions.apply(kwargs={"today": "2026-12-16"}).get()
    assert second == {}  # running again proposes nothing new
    assert list(PromotionProposal.objects.order_by("pk").values_list("worker_id", "year")) == (
        proposals
    )


def test_a_worker_newly_due_is_added_on_a_later_day(staff, people, settings):
    settings.LINLI_WORKFORCE_PROPOSE_ON = "12-01"
    staff.assess(people["mine"], 2026, 80)
    propose_yearly_promotions("2026-12-02")
    assert set(PromotionProposal.objects.values_list("worker_id", flat=True)) >= {people["mine"].pk}
    before = PromotionProposal.objects.count()
    newcomer = staff.worker(name="新调入社工", grade=2)  # grade since 2022: due by years alone
    staff.assess(newcomer, 2026, 80)
    made = propose_yearly_promotions("2026-12-03")
    assert sum(made.values()) == PromotionProposal.objects.count() - before == 1
    assert PromotionProposal.objects.filter(worker=newcomer, year=2026).exists()


@pytest.mark.worker
def test_a_real_worker_proposes_once(celery_worker_process, transactional_territory):
    """Two messages to a real worker (a duplicate delivery): one proposal per worker."""
    from tests.conftest import wait_until
    from tests.workforce.conftest import PUTIAN, Staff, build_ladder

    staff = Staff(
        t=transactional_territory, ladder=build_ladder(transactional_territory.city, PUTIAN)
    )
    worker = staff.worker(name="甲网格社工", grade=4)
    staff.assess(worker, 2026, 80)
    propose_yearly_promotions.delay(today="2026-12-20")
    propose_yearly_promotions.delay(today="2026-12-21")
    wait_until(lambda: celery_worker_process.output().count("succeeded") >= 2, timeout=90)
    assert list(PromotionProposal.objects.values_list("worker_id", "year", "to_grade")) == [
        (worker.pk, 2026, 5)
    ]
