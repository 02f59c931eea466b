"""The demo seed has a matter in each stage for the guides, and runs twice without changes."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from deliberation import actions
from deliberation.models import Matter, Status

pytestmark = pytest.mark.django_db


def test_demo_seed_has_every_stage_and_is_idempotent(settings):
    settings.DEBUG = True  # seed_demo refuses to write demo logins with DEBUG off
    call_command("seed_demo", "--quiet-logins", verbosity=0)
    stages = dict(Matter.objects.values_list("title", "status"))
    call_command("seed_demo", "--quiet-logins", verbosity=0)
    assert dict(Matter.objects.values_list("title", "status")) == stages
    assert set(stages.values()) == {
        Status.DONE,
        Status.VOTING,
        Status.COSIGNING,
        Status.PROPOSED,
    }
    done = Matter.objects.get(status=Status.DONE)
    assert done.published_at and done.tally == actions.compute_tally(done)
    assert done.meetings.get().attendance.count() == 3
