"""Verifying a registered resident opens their household to their account; withdrawing it
closes it again. Staff outside the household's area cannot do either."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from grids.actions import verify_resident
from grids.models import Household, Resident, Role, RoleAssignment
from grids.scope import forget_scope, scope_for
from tests.territory import PASSWORD, make_user


@pytest.fixture
def newcomer(territory):
    household = territory.a.households[1]
    user = make_user("newcomer", phone="13900009999")
    resident = Resident.objects.create(household=household, name="新居民", user=user)
    return resident


def _sees_household(user, household) -> bool:
    forget_scope(user)
    return Household.objects.visible_to(user).filter(pk=household.pk).exists()


def test_verifying_gives_the_household_and_withdrawing_takes_it_back(territory, newcomer):
    user, household = newcomer.user, newcomer.household
    assert not _sees_household(user, household)

    verify_resident(newcomer, actor=territory.user("community_a"))
    verify_resident(newcomer, actor=territory.user("community_a"))  # twice: one assignment
    assert Resident.objects.get(pk=newcomer.pk).verified
    assert RoleAssignment.objects.filter(user=user, role=Role.RESIDENT).count() == 1
    assert _sees_household(user, household)
    assert scope_for(user).household_ids == (household.pk,)

    verify_resident(newcomer, actor=territory.user("community_a"), verified=False)
    assert not Resident.objects.get(pk=newcomer.pk).verified
    assert not _sees_household(user, household)


def test_staff_of_the_other_community_cannot_verify(territory, newcomer):
    with pytest.raises(ValidationError) as err:
        verify_resident(newcomer, actor=territory.user("community_b"))
    assert "verified" in err.value.message_dict
    assert not Resident.objects.get(pk=newcomer.pk).verified
    assert not RoleAssignment.objects.filter(user=newcomer.user).exists()


def test_the_admin_action_verifies_through_the_same_operation(client, territory, newcomer):
    client.login(request=HttpRequest(), username="community_a", password=PASSWORD)
    response = client.post(
        "/admin/grids/resident/",
        {"action": "verify_selected", "_selected_action": [newcomer.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert _sees_household(newcomer.user, newcomer.household)
