"""Every public, resident, grid-worker and volunteer page of the demo city, as (who, label, url):
the states the accessibility sweep opens at 390×844 in both modes. Built from the database after
`seed_demo`, so a new page with demo data is one line here."""

from __future__ import annotations

from services.choices import State
from services.models import Case
from services.views.common import tracking_link_token

ANONYMOUS = ""


def demo_pages() -> list[tuple[str, str, str]]:
    from centres.models import Activity, Centre, Space
    from portal.models import User
    from volunteers.models import Certificate, ServiceOrder

    resident = User.objects.get(username="resident1")
    grid = User.objects.get(username="grid1")
    mine = Case.objects.filter(reporter=resident)
    rated = mine.filter(state=State.RESOLVED).first() or mine.first()
    assert rated is not None, "the demo city has no case of resident1"
    visible = Case.objects.visible_to(grid).order_by("pk")
    to_sign = visible.filter(state=State.DISPATCHED).first()
    in_hand = visible.filter(state__in=(State.SIGNED, State.IN_PROGRESS)).first()
    assert to_sign and in_hand, "the demo city lacks open cases of grid1"
    from grids.models import HouseholdVisit

    visited = HouseholdVisit.objects.filter(worker=grid).order_by("pk").first()
    assert visited is not None, "the demo city has no visit by grid1"
    household = visited.household
    centre = Centre.objects.order_by("pk").first()
    activity = Activity.objects.filter(centre=centre).order_by("pk").first()
    space = Space.objects.order_by("pk").first()
    order = ServiceOrder.objects.order_by("pk").first()
    certificate = Certificate.objects.order_by("pk").first()
    assert centre and activity and space and order and certificate

    public = [
        ("/", "home"),
        ("/cases/", "report home"),
        ("/cases/new/", "file a case"),
        ("/cases/login/", "phone login"),
        ("/accounts/login/", "password login"),
        (f"/cases/t/{tracking_link_token(rated)}/", "tracking link"),
        ("/cases/track/", "look up a case by its tracking code"),
        ("/centres/", "centre finder"),
        (f"/centres/{centre.pk}/", "centre"),
        (f"/centres/{centre.pk}/activities/", "centre activities"),
        (f"/centres/{centre.pk}/affairs/", "one-stop affairs"),
        (f"/centres/activities/{activity.pk}/", "activity"),
        (f"/centres/{centre.pk}/co-building/", "co-building"),
        ("/volunteers/wishes/", "wish wall"),
        ("/offline/", "offline page"),
    ]
    resident_pages = [
        ("/", "home"),
        ("/cases/", "report home"),
        ("/cases/new/", "file a case"),
        ("/cases/mine/", "my cases"),
        (f"/cases/c/{rated.number}/", "my case with the callback form"),
        ("/cases/register/", "register as a resident"),
        ("/centres/me/", "my sign-ups and bookings"),
        (f"/centres/spaces/{space.pk}/book/", "book a space"),
        (f"/centres/activities/{activity.pk}/", "activity"),
        ("/volunteers/", "time bank"),
        ("/volunteers/orders/new/", "ask for help"),
        ("/volunteers/wishes/", "wish wall"),
    ]
    worker_pages = [
        ("/", "home"),
        ("/cases/grid/", "my grid"),
        ("/cases/grid/new/", "new case"),
        ("/cases/grid/patrol/", "patrol log"),
        (f"/cases/grid/c/{to_sign.number}/", "a case to sign for"),
        (f"/cases/grid/c/{in_hand.number}/", "a case in hand (contact, progress, resolve)"),
        ("/cases/grid/places/", "the grid's places, households to visit first"),
        ("/cases/grid/places/?q=101", "a search for a household"),
        (f"/cases/grid/places/b/{household.building_id}/", "a building's households"),
        (f"/cases/grid/places/h/{household.pk}/", "a household: residents, visit form, visits"),
        ("/cases/grid/map/", "map of the grid"),
    ]
    volunteer_pages = [
        ("/volunteers/", "time bank"),
        ("/volunteers/points/", "points"),
        ("/volunteers/rewards/", "rewards"),
        ("/volunteers/orders/", "open orders"),
        (f"/volunteers/orders/{order.pk}/", "an order"),
        ("/volunteers/teams/", "teams"),
        ("/volunteers/register/", "volunteer profile"),
        (f"/volunteers/certificates/{certificate.number}/", "certificate"),
    ]
    return (
        deliberation_pages()
        + [(ANONYMOUS, label, url) for url, label in public]
        + [("resident1", label, url) for url, label in resident_pages]
        + [("grid1", label, url) for url, label in worker_pages]
        + [("volunteer1", label, url) for url, label in volunteer_pages]
        + [("party1", label, url) for url, label in volunteer_pages[:3]]
    )


def deliberation_pages() -> list[tuple[str, str, str]]:
    """The 议事 pages: a resident's list, raising form and matters (one being voted on, one
    carried out and open for evaluation), and the desk of the community's staff (list, a
    matter's page with its actions, the minutes form)."""
    from deliberation.models import Matter, Meeting

    voting = Matter.objects.filter(status="voting").order_by("pk").first()
    done = Matter.objects.filter(status__in=("done", "executing", "decided")).order_by("pk").first()
    meeting = Meeting.objects.order_by("pk").first()
    assert voting and done and meeting, "the demo city lacks deliberation matters"
    resident_pages = [
        ("/deliberation/", "deliberation: matters where I live"),
        ("/deliberation/new/", "deliberation: raise a matter"),
        (f"/deliberation/m/{voting.pk}/", "deliberation: a matter being voted on"),
        (f"/deliberation/m/{done.pk}/", "deliberation: a matter carried out, to evaluate"),
    ]
    desk_pages = [
        ("/deliberation/desk/", "deliberation desk: matters"),
        ("/deliberation/desk/new/", "deliberation desk: raise a matter"),
        (f"/deliberation/desk/m/{voting.pk}/", "deliberation desk: a matter being voted on"),
        (f"/deliberation/desk/m/{done.pk}/", "deliberation desk: a matter decided"),
        (
            f"/deliberation/desk/m/{meeting.matter_id}/meeting/{meeting.pk}/minutes/",
            "deliberation desk: minutes and attendance",
        ),
    ]
    return [("resident1", label, url) for url, label in resident_pages] + [
        ("community1", label, url) for url, label in desk_pages
    ]
