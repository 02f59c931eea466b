"""The state machine: every transition, every forbidden one, stale versions, who may act."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from services import actions
from services.actions import TRANSITIONS, Intake
from services.choices import Action, Level, State
from services.models import Callback, Case, CaseEvent, CasePhoto, ExtensionRequest, JointUnit


def errors_of(exc: pytest.ExceptionInfo) -> dict:
    return exc.value.message_dict


def jpeg(name="p.jpg", size=(2400, 1800), gps=True, fmt="JPEG") -> SimpleUploadedFile:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    kwargs = {}
    if gps and fmt == "JPEG":
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x8825] = {1: "N", 2: (24.0, 54.0, 1.5), 3: "E", 4: (118.0, 35.0, 2.5)}  # GPS IFD
        kwargs["exif"] = exif.tobytes()
    image.save(out, format=fmt, **kwargs)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


# --- the main path -------------------------------------------------------------------------


def test_full_lifecycle_records_every_step(desk, django_capture_on_commit_callbacks):
    resident, grid, community = (
        desk.user("resident_a"),
        desk.user("grid_a"),
        desk.user("community_a"),
    )
    with django_capture_on_commit_callbacks() as callbacks:
        case = desk.file(actor=resident)
    assert case.state == State.SUBMITTED and len(case.number) == 13
    assert case.grid == desk.t.a.grids[0] and case.received_by == resident
    assert callbacks, "the dispatch task is sent on commit"

    case = actions.dispatch(case, actor=None)
    assert (case.state, case.level, case.handling_area, case.assignee) == (
        State.DISPATCHED,
        Level.GRID,
        desk.t.a.grids[0],
        grid,
    )
    assert case.sign_due and case.contact_due and case.resolve_due and case.next_check_at
    v = case.version
    case = actions.sign_for(case, actor=grid, expected_version=v)
    assert case.version == v + 1 and case.sign_on_time is True and case.sign_due is None
    case = actions.record_contact(case, actor=grid, note="电话联系了居民")
    assert case.contact_on_time is True and case.contacted_at
    case = actions.start(case, actor=grid)
    case = actions.add_progress(case, actor=grid, note="已联系施工队")
    case = actions.resolve(case, actor=grid, result="已修补路面", photos_=[jpeg()])
    assert case.state == State.RESOLVED and case.resolved_on_time is True
    assert case.next_check_at is not None  # the callback wait
    actions.callback(case, actor=resident, solved=True, rating=4, method="resident")
    case.refresh_from_db()
    assert case.state == State.CALLED_BACK and case.rating == 4 and case.callback_solved
    case = actions.archive(case, actor=community)
    assert case.state == State.ARCHIVED

    steps = list(case.events.values_list("action", "from_state", "to_state", "actor__username"))
    assert steps == [
        ("submit", "", "submitted", "resident_a"),
        ("dispatch", "submitted", "dispatched", None),
        ("sign_for", "dispatched", "signed", "grid_a"),
        ("record_contact", "signed", "signed", "grid_a"),
        ("start", "signed", "in_progress", "grid_a"),
        ("add_progress", "in_progress", "in_progress", "grid_a"),
        ("resolve", "in_progress", "resolved", "grid_a"),
        ("callback", "resolved", "called_back", "resident_a"),
        ("archive", "called_back", "archived", "community_a"),
    ]


def test_department_categories_route_to_the_department(desk):
    case = desk.dispatched(category=desk.water)
    assert case.level == Level.DEPARTMENT and case.handling_department == desk.t.other_department
    assert case.assignee is None


def test_case_numbers_are_sequential_and_unique(desk):
    a, b = desk.file(), desk.file()
    assert a.number[:8] == b.number[:8] and int(b.number) == int(a.number) + 1


# --- forbidden transitions -------------------------------------------------------------------


def _call(action: str, case: Case, actor, desk):
    kwargs = {
        Action.DISPATCH: {},
        Action.SIGN_FOR: {},
        Action.RECORD_CONTACT: {},
        Action.START: {},
        Action.ADD_PROGRESS: {"note": "x"},
        Action.RESOLVE: {"result": "x"},
        Action.RETURN: {"reason": "x"},
        Action.REVIEW_RETURN: {"uphold": False},
        Action.TRANSFER: {"department": desk.t.department},
        Action.ESCALATE: {},
        Action.REQUEST_EXTENSION: {"working_days": 2, "reason": "x"},
        Action.DECIDE_EXTENSION: {"approve": True},
        Action.ADD_JOINT_UNIT: {"department": desk.t.department},
        Action.REPORT_IN: {"unit": 0, "report": "x"},
        Action.MERGE: {"master": 0},
        Action.NOT_ACCEPTED: {"reason": "x"},
        Action.CALLBACK: {"solved": True, "rating": 5},
        Action.ARCHIVE: {},
    }[action]
    fn = getattr(actions, {Action.RETURN: "return_case"}.get(action, str(action)))
    return fn(case, actor=actor, **kwargs)


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_every_action_is_refused_from_every_state_it_does_not_start_from(desk, action):
    case, other = desk.file(), desk.file()
    superuser = desk.user("superuser")
    sources, _targets = TRANSITIONS[action]
    forbidden = [s for s in State.values if s not in sources]
    assert forbidden
    for state in forbidden:
        master = other if state == State.MERGED else None  # the database insists on one
        Case.objects.filter(pk=case.pk).update(state=state, master=master)
        with pytest.raises(ValidationError) as exc:
            _call(action, case, superuser, desk)
        assert "action" in errors_of(exc), (action, state)
        assert "cannot" in errors_of(exc)["action"][0]
    assert CaseEvent.objects.filter(case=case).count() == 1  # only the submit


def test_stale_version_is_refused_with_a_clear_message(desk):
    case = desk.dispatched()
    stale = case.version
    actions.sign_for(case, actor=desk.user("grid_a"), expected_version=stale)
    with pytest.raises(ValidationError) as exc:
        actions.start(case, actor=desk.user("grid_a"), expected_version=stale)
    assert "Someone else changed" in errors_of(exc)["expected_version"][0]
    assert Case.objects.get(pk=case.pk).state == State.SIGNED


def test_only_the_handling_unit_acts(desk):
    case = desk.dispatched()
    for outsider in ("grid_b", "community_b", "dept"):
        with pytest.raises(ValidationError) as exc:
            actions.sign_for(case, actor=desk.user(outsider))
        assert "actor" in errors_of(exc)
    # A dispatcher above the unit may act for it.
    actions.sign_for(case, actor=desk.user("community_a"))


def test_resolve_needs_dispatch_first_and_a_result(desk):
    case = desk.file()
    with pytest.raises(ValidationError) as exc:
        actions.resolve(case, actor=desk.user("superuser"), result="x")
    assert "Dispatch" in errors_of(exc)["action"][0]
    case = desk.dispatched()
    actions.sign_for(case, actor=desk.user("grid_a"))
    with pytest.raises(ValidationError) as exc:
        actions.resolve(case, actor=desk.user("grid_a"), result="  ")
    assert "result" in errors_of(exc)


# --- returns, transfer, escalation ----------------------------------------------------------


def test_return_upheld_redispatches_elsewhere(desk):
    case = desk.dispatched()
    case = actions.return_case(case, actor=desk.user("grid_a"), reason="不属于网格职责")
    assert case.state == State.RETURNED and case.next_check_at is None
    with pytest.raises(ValidationError):  # the grid worker cannot review their own return
        actions.review_return(case, actor=desk.user("grid_a"), uphold=True)
    case = actions.review_return(
        case, actor=desk.user("community_a"), uphold=True, department=desk.t.department
    )
    assert case.state == State.DISPATCHED and case.handling_department == desk.t.department
    assert case.sign_due is not None
    event = case.events.get(action="review_return")
    assert event.payload["upheld"] is True and event.actor == desk.user("community_a")


def test_return_rejected_goes_back_to_the_same_unit(desk):
    case = desk.dispatched()
    actions.return_case(case, actor=desk.user("grid_a"), reason="不属于")
    case = actions.review_return(case, actor=desk.user("community_a"), uphold=False, note="属网格")
    assert case.state == State.DISPATCHED and case.handling_area == desk.t.a.grids[0]
    assert case.assignee == desk.user("grid_a")


def test_return_needs_a_reason(desk):
    case = desk.dispatched()
    with pytest.raises(ValidationError) as exc:
        actions.return_case(case, actor=desk.user("grid_a"), reason="")
    assert "reason" in errors_of(exc)


def test_transfer_to_a_department_keeps_the_resolve_clock(desk):
    case = desk.dispatched()
    due = case.resolve_due
    case = actions.transfer(case, actor=desk.user("street"), department=desk.t.department)
    assert case.handling_department == desk.t.department and case.resolve_due == due
    assert Case.objects.visible_to(desk.user("dept")).filter(pk=case.pk).exists()
    with pytest.raises(ValidationError):  # a grid worker is not a dispatcher
        actions.transfer(case, actor=desk.user("grid_a"), department=desk.t.other_department)


def test_transfer_refuses_a_unit_that_does_not_cover_the_place(desk):
    case = desk.dispatched()
    with pytest.raises(ValidationError) as exc:
        actions.transfer(case, actor=desk.user("street"), area=desk.t.b.community)
    assert "area" in errors_of(exc)


def test_escalation_climbs_grid_community_street_department_city(desk):
    case = desk.dispatched()
    seen = [case.level]
    for _ in range(4):
        case = actions.escalate(case, actor=desk.user("superuser"))
        seen.append(case.level)
    assert seen == ["grid", "community", "street", "department", "city"]
    assert case.handling_area == desk.t.city and case.escalation_level == 4
    assert case.state == State.DISPATCHED
    with pytest.raises(ValidationError) as exc:
        actions.escalate(case, actor=desk.user("superuser"))
    assert "top level" in errors_of(exc)["action"][0]


# --- extensions --------------------------------------------------------------------------------


def test_extension_approved_moves_the_deadline_by_working_days(desk):
    from services import calendar

    case = desk.dispatched()
    actions.sign_for(case, actor=desk.user("grid_a"))
    old_due = Case.objects.get(pk=case.pk).resolve_due
    ext = actions.request_extension(
        case, actor=desk.user("grid_a"), working_days=3, reason="等材料"
    )
    with pytest.raises(ValidationError) as exc:  # one pending at a time
        actions.request_extension(case, actor=desk.user("grid_a"), working_days=2, reason="再等")
    assert "action" in errors_of(exc)
    with pytest.raises(ValidationError):  # the handler cannot approve their own request
        actions.decide_extension(case, actor=desk.user("grid_a"), approve=True)
    ext = actions.decide_extension(case, actor=desk.user("community_a"), approve=True, note="同意")
    case.refresh_from_db()
    assert ext.status == "approved" and ext.old_due == old_due
    assert case.resolve_due == calendar.add_working_days(old_due, 3) == ext.new_due


def test_extension_refused_leaves_the_deadline(desk):
    case = desk.dispatched()
    actions.sign_for(case, actor=desk.user("grid_a"))
    due = Case.objects.get(pk=case.pk).resolve_due
    actions.request_extension(case, actor=desk.user("grid_a"), working_days=2, reason="x")
    ext = actions.decide_extension(case, actor=desk.user("community_a"), approve=False)
    case.refresh_from_db()
    assert ext.status == "refused" and case.resolve_due == due
    with pytest.raises(ValidationError):
        actions.decide_extension(case, actor=desk.user("community_a"), approve=True)


def test_extension_after_the_deadline_is_refused(desk):
    case = desk.dispatched()
    actions.sign_for(case, actor=desk.user("grid_a"))
    Case.objects.filter(pk=case.pk).update(resolve_due="2020-01-01T00:00:00+08:00")
    with pytest.raises(ValidationError) as exc:
        actions.request_extension(case, actor=desk.user("grid_a"), working_days=2, reason="x")
    assert "before the deadline" in errors_of(exc)["working_days"][0]
    assert not ExtensionRequest.objects.exists()


# --- joint handling ------------------------------------------------------------------------------


def test_joint_units_report_in_before_resolution(desk):
    case = desk.dispatched()
    actions.sign_for(case, actor=desk.user("grid_a"))
    lead = actions.add_joint_unit(
        case, actor=desk.user("community_a"), role="lead", department=desk.t.department
    )
    with pytest.raises(ValidationError):  # one lead only
        actions.add_joint_unit(
            case, actor=desk.user("community_a"), role="lead", department=desk.t.other_department
        )
    assert Case.objects.visible_to(desk.user("dept")).filter(pk=case.pk).exists()
    with pytest.raises(ValidationError) as exc:
        actions.resolve(case, actor=desk.user("grid_a"), result="done")
    assert "report in" in errors_of(exc)["action"][0]
    with pytest.raises(ValidationError):  # only that unit reports in for itself
        actions.report_in(case, actor=desk.user("grid_b"), unit=lead, report="x")
    actions.report_in(case, actor=desk.user("dept"), unit=lead, report="城管已清理")
    assert JointUnit.objects.get(pk=lead.pk).reported_in_at is not None
    actions.resolve(case, actor=desk.user("grid_a"), result="done")


# --- merge, not accepted ----------------------------------------------------------------------------


def test_merge_makes_the_reporter_follow_the_master(desk):
    master = desk.dispatched(actor=desk.user("resident_a"))
    repeat = desk.file(actor=desk.user("resident_b"), place=desk.t.a.buildings[0])
    resident_b = desk.user("resident_b")
    assert not Case.objects.visible_to(resident_b).filter(pk=master.pk).exists()
    with pytest.raises(ValidationError):
        actions.merge(repeat, actor=desk.user("community_a"), master=repeat)
    repeat = actions.merge(repeat, actor=desk.user("community_a"), master=master)
    assert repeat.state == State.MERGED and repeat.master == master and repeat.next_check_at is None
    assert Case.objects.visible_to(resident_b).filter(pk=master.pk).exists()
    assert master.events.filter(action="merge").exists()


def test_not_accepted_needs_a_reason(desk):
    case = desk.file()
    with pytest.raises(ValidationError) as exc:
        actions.not_accepted(case, actor=desk.user("community_a"), reason="")
    assert "reason" in errors_of(exc)
    case = actions.not_accepted(
        case, actor=desk.user("community_a"), reason="属于民事纠纷，请走司法途径"
    )
    assert case.state == State.NOT_ACCEPTED
    assert actions.archive(case, actor=desk.user("community_a")).state == State.ARCHIVED


# --- callback and redo ------------------------------------------------------------------------------


def _resolved(desk):
    case = desk.dispatched()
    grid = desk.user("grid_a")
    actions.sign_for(case, actor=grid)
    actions.record_contact(case, actor=grid)
    return actions.resolve(case, actor=grid, result="已处理")


def test_dissatisfied_callback_sends_the_case_back_with_a_new_clock(desk):
    case = _resolved(desk)
    first_due = Case.objects.filter(pk=case.pk).values_list("clock_started_at", flat=True).get()
    record = actions.callback(
        case, actor=desk.user("community_a"), solved=True, rating=2, comment="没修好"
    )
    case.refresh_from_db()
    assert record.led_to_redo and case.state == State.DISPATCHED and case.redo_count == 1
    assert case.clock_started_at > first_due and case.resolve_due and case.sign_due
    assert case.handling_area == desk.t.a.grids[0]


def test_unsolved_callback_also_redoes(desk):
    case = _resolved(desk)
    actions.callback(case, actor=desk.user("resident_a"), solved=False, rating=3, method="resident")
    assert Case.objects.get(pk=case.pk).state == State.DISPATCHED


def test_callback_needs_answers_and_the_right_person(desk):
    case = _resolved(desk)
    with pytest.raises(ValidationError) as exc:
        actions.callback(case, actor=desk.user("community_a"), solved=None, rating=9)
    assert {"solved", "rating"} <= set(errors_of(exc))
    with pytest.raises(ValidationError):  # another resident cannot answer for the reporter
        actions.callback(
            case, actor=desk.user("resident_b"), solved=True, rating=5, method="resident"
        )
    assert not Callback.objects.exists()


# --- intake ------------------------------------------------------------------------------------------


def test_handled_on_the_spot_is_resolved_at_once(desk):
    case = desk.file(
        actor=desk.user("grid_a"),
        channel="grid_worker",
        handled_on_spot=True,
        raised_before_complaint=True,
        result="现场劝离占道摊贩",
    )
    assert case.state == State.RESOLVED and case.handled_on_spot and case.raised_before_complaint
    assert case.reporter is None and case.received_by == desk.user("grid_a")


def test_intake_errors_name_the_field(desk):
    with pytest.raises(ValidationError) as exc:
        actions.submit_case(
            Intake(case_type="nonsense", category=None, description=" ", place=None),
            actor=desk.user("resident_a"),
        )
    assert {"case_type", "category", "description", "place"} <= set(errors_of(exc))


def test_staff_cannot_key_in_a_place_outside_their_area(desk):
    with pytest.raises(ValidationError) as exc:
        desk.file(actor=desk.user("grid_b"), channel="grid_worker", place=desk.t.a.buildings[0])
    assert "outside your area" in errors_of(exc)["place"][0]


def test_anonymous_needs_a_phone_and_gets_a_token(desk):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(ValidationError) as exc:
        desk.file(actor=AnonymousUser())
    assert "reporter_phone" in errors_of(exc)
    case = desk.file(actor=AnonymousUser(), reporter_phone="13912345678")
    assert case.reporter is None and len(case.tracking_token) >= 16


def test_bad_photo_rolls_back_the_whole_submission(desk):
    bad = SimpleUploadedFile("virus.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        desk.file(photos=[jpeg(), bad])
    assert "not an image" in errors_of(exc)["photos"][0]
    with pytest.raises(ValidationError) as exc:
        desk.file(photos=[jpeg(gps=False, size=(10, 10)) for _ in range(10)])
    assert "At most 9" in errors_of(exc)["photos"][0]
    assert not Case.objects.exists() and not CasePhoto.objects.exists()


def test_photos_are_resized_and_lose_their_exif_and_gps(desk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = jpeg()
    assert Image.open(io.BytesIO(upload.read())).getexif().get_ifd(0x8825)  # GPS was there
    upload.seek(0)
    case = desk.file(photos=[upload])
    photo = case.photos.get()
    with Image.open(photo.image.path) as stored:
        assert max(stored.size) <= 1600
        assert not stored.getexif() and "exif" not in stored.info
    assert photo.width == stored.size[0]


# --- time limits ---------------------------------------------------------------------------------


def test_deadlines_follow_the_time_limit_table(desk):
    from datetime import timedelta

    from services import calendar
    from services.models import TimeLimit

    # Defaults from the rules: help resolves in 10 working days, sign for within 1.
    case = desk.dispatched()
    assert case.resolve_due == calendar.add_working_days(case.dispatched_at, 10)
    assert case.sign_due == calendar.add_working_days(case.dispatched_at, 1)
    # An edited limit on the parent category applies to its children.
    TimeLimit.objects.create(category=desk.roads, case_type="help", resolve_amount=3)
    case = desk.dispatched()
    assert case.resolve_due == calendar.add_working_days(case.dispatched_at, 3)
    # Emergencies: 2 hours round the clock to sign for, resolved the same day.
    case = desk.dispatched(case_type="emergency", actor=desk.user("community_a"))
    assert case.sign_due == case.dispatched_at + timedelta(hours=2)
    assert case.resolve_due == calendar.end_of_day(calendar.local(case.dispatched_at).date())
    # Consultation: 2 working days.
    case = desk.dispatched(case_type="consultation")
    assert case.resolve_due == calendar.add_working_days(case.dispatched_at, 2)


def test_a_category_staff_retire_is_refused_at_once_in_this_process(desk):
    # Intake keeps active categories in a per-process memo (portal.memo.TTLMemo); the staff
    # edit's signal clears it, so the next intake does not wait for the memo to expire.
    desk.file(category=desk.noise)
    desk.noise.is_active = False
    desk.noise.save()
    with pytest.raises(ValidationError) as err:
        desk.file(category=desk.noise)
    assert "category" in err.value.message_dict
