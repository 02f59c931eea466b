"""centres' models in the permission matrix (tests/matrix.py).

Centres hang on a community, so everything here sits on side a's community (not on one of
its grids): community staff and above see it, a grid worker of that community does not (read
access for grid workers is by their grid), and the sibling community never does. Bookings,
appointments and orders are made by a fresh account and list items belong to a fresh unit, so
side a's resident and unit see none of them through "my own" rules. The affairs catalogue is
read from below as well: a grid worker reads the items of the community above their grid."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from centres import actions
from centres.models import (
    Activity,
    AffairItem,
    Agreement,
    Appointment,
    AppointmentSlot,
    Blackout,
    Booking,
    Centre,
    CentrePhoto,
    Closure,
    Function,
    ListItem,
    OpeningHours,
    Operator,
    OperatorContract,
    Order,
    Service,
    ServiceVisit,
    SignUp,
    Space,
)
from grids.models import CoBuildingUnit
from tests.matrix import Place, register
from tests.territory import make_user

COMMUNITY = {"viewers": ("community",), "grid_level": False}


def _at(days: int, hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _centre(p: Place) -> Centre:
    return Centre.objects.create(name=f"{p.label}中心", community=p.community)


def _service(p: Place) -> Service:
    centre = _centre(p)
    return Service.objects.create(centre=centre, function=centre.functions.first(), name=p.label)


def _space(p: Place) -> Space:
    return Space.objects.create(centre=_centre(p), name=p.label, kind="room", capacity=10)


def _activity(p: Place) -> Activity:
    centre = _centre(p)
    return Activity.objects.create(
        centre=centre,
        function=centre.functions.first(),
        title=p.label,
        kind="class",
        starts_at=_at(2, 9),
        ends_at=_at(2, 11),
        capacity=5,
    )


def _signup(p: Place) -> SignUp:
    # 代报名 by a superuser for the place's resident: no account of side a's users owns it.
    return actions.sign_up(_activity(p), actor=p.territory.user("superuser"), resident=p.resident)


def _booking(p: Place) -> Booking:
    booker = make_user(f"b-{p.label}")
    return actions.book_space(
        _space(p), actor=booker, starts_at=_at(3, 9), ends_at=_at(3, 10), purpose=p.label
    )


def _slot(p: Place) -> AppointmentSlot:
    return AppointmentSlot.objects.create(
        centre=_centre(p), starts_at=_at(1, 9), ends_at=_at(1, 10)
    )


def _appointment(p: Place) -> Appointment:
    item = AffairItem.objects.create(area=p.community, name=p.label, department="街道办")
    return actions.book_appointment(_slot(p), actor=make_user(f"ap-{p.label}"), item=item)


def _unit(p: Place) -> CoBuildingUnit:
    return CoBuildingUnit.objects.create(name=f"{p.label}单位", home_community=p.community)


def _list_item(p: Place) -> ListItem:
    return ListItem.objects.create(
        kind="service", centre=_centre(p), unit=_unit(p), title=p.label, quota=3
    )


def _order(p: Place) -> Order:
    return actions.request_order(_list_item(p), actor=make_user(f"o-{p.label}"), note=p.label)


def _operator(p: Place) -> Operator:
    return Operator.objects.create(name=p.label, area=p.community, status="approved")


def _contract(p: Place) -> OperatorContract:
    return OperatorContract.objects.create(
        operator=_operator(p),
        centre=_centre(p),
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + timedelta(days=365),
        terms=p.label,
    )


register(Centre, _centre, **COMMUNITY)
register(Operator, _operator, **COMMUNITY)
register(OperatorContract, _contract, **COMMUNITY)
register(Service, _service, api="/api/centres/services/", **COMMUNITY)
register(
    ServiceVisit,
    lambda p: ServiceVisit.objects.create(service=_service(p), at=_at(0, 9), resident_name=p.label),
    **COMMUNITY,
)
register(Space, _space, **COMMUNITY)
register(
    Blackout,
    lambda p: Blackout.objects.create(
        centre=_centre(p), starts_at=_at(5, 9), ends_at=_at(5, 12), reason=p.label
    ),
    **COMMUNITY,
)
register(Activity, _activity, **COMMUNITY)
register(SignUp, _signup, api="/api/centres/signups/", **COMMUNITY)
register(Booking, _booking, api="/api/centres/bookings/", **COMMUNITY)
register(AppointmentSlot, _slot, **COMMUNITY)
register(Appointment, _appointment, api="/api/centres/appointments/", **COMMUNITY)
register(
    Agreement,
    lambda p: Agreement.objects.create(
        centre=_centre(p),
        unit=_unit(p),
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + timedelta(days=365),
        commitments=p.label,
    ),
    **COMMUNITY,
)
register(ListItem, _list_item, **COMMUNITY)
register(Order, _order, api="/api/centres/orders/", **COMMUNITY)
# The catalogue is read from below too: a grid worker reads their community's items.
register(
    AffairItem,
    lambda p: AffairItem.objects.create(area=p.community, name=p.label, department="街道办"),
    viewers=("community", "grid"),
    grid_level=False,
)

# A centre's own rows, edited inline on the centre's page (no admin or API of their own): the
# matrix checks their querysets, and the centre's page is checked above.
INLINE = {**COMMUNITY, "admin": False}
register(Function, lambda p: _centre(p).functions.first(), **INLINE)
register(
    OpeningHours,
    lambda p: OpeningHours.objects.create(
        centre=_centre(p), weekday=1, opens=time(8), closes=time(17)
    ),
    **INLINE,
)
register(
    Closure,
    lambda p: Closure.objects.create(centre=_centre(p), date=timezone.localdate(), reason="维修"),
    **INLINE,
)
register(
    CentrePhoto,
    lambda p: CentrePhoto.objects.create(centre=_centre(p), image="centres/x.jpg"),
    **INLINE,
)
