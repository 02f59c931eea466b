"""Each action runs in its own transaction. The other action tests run inside the test's
transaction, which hides an action that forgot its own; here nothing wraps them (as in the API
and the admin), so such an action fails with TransactionManagementError."""

from __future__ import annotations

from django.db import connection

from services import actions
from services.choices import State


def test_every_step_of_a_case_commits_on_its_own(transactional_desk):
    desk = transactional_desk
    grid, community = desk.user("grid_a"), desk.user("community_a")
    assert not connection.in_atomic_block
    case = actions.dispatch(desk.file(), actor=None)
    case = actions.sign_for(case, actor=grid)
    case = actions.record_contact(case, actor=grid, note="电话联系了居民")
    case = actions.start(case, actor=grid)
    case = actions.add_progress(case, actor=grid, note="已联系施工队")
    case = actions.resolve(case, actor=grid, result="已修补路面")
    actions.callback(case, actor=desk.user("resident_a"), solved=True, rating=5, method="resident")
    case.refresh_from_db()
    case = actions.archive(case, actor=community)
    assert case.state == State.ARCHIVED

    other = actions.dispatch(desk.file(), actor=None)
    other = actions.return_case(other, actor=grid, reason="不属于网格职责")
    assert other.state == State.RETURNED
    other = actions.review_return(other, actor=community, uphold=False, note="属网格")
    other = actions.escalate(other, actor=grid)
    assert other.level == "community"
    other = actions.not_accepted(desk.file(), actor=community, reason="重复反映")
    assert other.state == State.NOT_ACCEPTED
