"""Fixtures for the volunteers app: the shared territory plus a relative of resident_a."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection

from grids.models import Resident, Role
from tests.territory import assign, make_user
from volunteers.ledger import LedgerError


def add_relative(t):
    """A second account holder in resident_a's household (gifts go to relatives)."""
    household = t.a.households[0]
    Resident.objects.filter(household=household).update(user=None)
    first = Resident.objects.filter(household=household).first()
    first.user = t.user("resident_a")
    first.save()
    relative = make_user("relative_a", phone="13900000009")
    assign(relative, Role.RESIDENT, household=household)
    Resident.objects.create(household=household, name="甲亲属", user=relative)
    t.users["relative_a"] = relative
    return relative


@pytest.fixture
def family(territory):
    add_relative(territory)
    return territory


def make_volunteer(user, community, party: bool = False):
    from volunteers import actions

    return actions.register_volunteer(
        user,
        actions.Registration(
            community=community,
            real_name=f"{user.username}真名",
            phone="13812345678",
            id_number="350502198001011234",
            consent=True,
            is_party_member=party,
        ),
    )


def place(t, requester=None, actor=None, **extra):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from volunteers import actions
    from volunteers.models import ServiceCategory

    category, _ = ServiceCategory.objects.get_or_create(name="助老陪伴")
    requester = requester or t.user("resident_a")
    intake = actions.OrderIntake(
        requester=requester,
        community=extra.pop("community", t.a.community),
        category=category,
        description="陪老人去医院复查",
        place="甲1号楼101",
        scheduled_at=timezone.now() + timedelta(days=1),
        estimated_hours=Decimal(2),
        **extra,
    )
    return actions.place_order(intake, actor or requester)


def serve(order, volunteer_user, minutes: int = 80):
    """Take, check in and out (the check-in moved back by `minutes`)."""
    from datetime import timedelta

    from volunteers import actions
    from volunteers.models import ServiceOrder

    actions.take_order(order, volunteer_user)
    actions.check_in(order, volunteer_user, actions.qr_token(order, "in"))
    ServiceOrder.objects.filter(pk=order.pk).update(
        checked_in_at=ServiceOrder.objects.get(pk=order.pk).checked_in_at
        - timedelta(minutes=minutes)
    )
    return actions.check_out(order, volunteer_user, actions.qr_token(order, "out"))


@pytest.fixture(autouse=True)
def _english():
    """Tests read the English source messages; test_i18n checks the Chinese ones."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client():
    from django.test import Client

    return Client(headers={"accept-language": "en"})


def race(n: int, fn) -> list:
    """Run fn(0..n-1) on n threads released together, each on its own database connection;
    the outcomes, a LedgerError counting as an outcome."""
    barrier = threading.Barrier(n)
    results: list[object] = []
    lock = threading.Lock()

    def run(i):
        try:
            barrier.wait()
            try:
                outcome = fn(i)
            except LedgerError as exc:
                outcome = exc
            with lock:
                results.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    close_old_connections()
    return results


def photo(name: str = "wish.jpg", gps: bool = True, size=(1200, 900)):
    """A JPEG as a phone sends it: with the maker and the GPS position in its EXIF."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    image = Image.new("RGB", size, (40, 120, 200))
    out = io.BytesIO()
    kwargs = {}
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x8825] = {1: "N", 2: (24.0, 54.0, 1.5), 3: "E", 4: (118.0, 35.0, 2.5)}  # GPS
        kwargs["exif"] = exif.tobytes()
    image.save(out, format="JPEG", **kwargs)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def confirmed_report(community, *, member=None, unit=None, year=None, promise="每月服务一次"):
    """A 双报到 report the community has already confirmed (for tests about claiming)."""
    from django.utils import timezone

    from volunteers.models import PartyReport

    return PartyReport.objects.create(
        community=community,
        member=member,
        unit=unit,
        year=year or timezone.localdate().year,
        promise=promise,
        status="confirmed",
    )


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded files go to a scratch folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path
