"""The admin's part of the case engine since the desk (services.desk) took the inbox over: the
registers (extension requests, the patrol log) decided and read through the operations, and
no generic admin form that writes a case or what hangs on it. The case URLs' redirect to the
desk is tested with the desk (tests/services/test_desk_list.py)."""

from __future__ import annotations

from django.urls import reverse

from services import actions
from services.models import Case, ExtensionRequest


def login(client, desk, key):
    client.force_login(desk.user(key))
    return client


def test_no_generic_admin_form_writes_a_case_or_what_hangs_on_it(client, desk):
    """services.actions writes cases, extensions and patrol entries (written_by): even the
    superuser finds no add, save or delete in their admin pages; the operations are the way."""
    case = desk.dispatched()
    extension = ExtensionRequest.objects.create(
        case=case, requested_by=desk.user("grid_a"), working_days=2, reason="等材料"
    )
    patrol = actions.log_patrol(actor=desk.user("grid_a"), grid=desk.t.a.grids[0], seen="一切正常")
    login(client, desk, "superuser")
    # The case's admin has no add, change or delete view: its URLs lead to the desk.
    assert client.get("/admin/services/case/add/").status_code == 404
    assert client.post(f"/admin/services/case/{case.pk}/delete/", {"post": "yes"}).status_code in (
        302,
        404,
    )
    assert client.post(f"/admin/services/case/{case.pk}/change/", {"state": "x"})[
        "Location"
    ] == reverse("desk:case", args=[case.number])
    for obj, fields in ((extension, {"working_days": 30}), (patrol, {"seen": "改写"})):
        name = type(obj)._meta.model_name
        change = reverse(f"admin:services_{name}_change", args=[obj.pk])
        page = client.get(change)
        assert page.status_code == 200 and not page.context["has_change_permission"], name
        assert client.post(change, fields).status_code == 403, name
        delete = reverse(f"admin:services_{name}_delete", args=[obj.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403, name
        assert client.get(reverse(f"admin:services_{name}_add")).status_code == 403, name
    extension.refresh_from_db()
    patrol.refresh_from_db()
    assert (extension.working_days, patrol.seen) == (2, "一切正常")
    assert Case.objects.filter(pk=case.pk).exists()


def test_extension_requests_are_decided_through_the_operation(client, desk):
    cases = [desk.dispatched() for _ in range(2)]
    for case in cases:
        actions.sign_for(case, actor=desk.user("grid_a"))
        actions.request_extension(case, actor=desk.user("grid_a"), working_days=2, reason="等材料")
    ids = list(ExtensionRequest.objects.values_list("pk", flat=True))
    url = reverse("admin:services_extensionrequest_changelist")
    # The grid worker handles the cases but does not supervise them: decide_extension refuses.
    login(client, desk, "grid_a")
    client.post(url, {"action": "approve", "_selected_action": ids})
    assert set(ExtensionRequest.objects.values_list("status", flat=True)) == {"pending"}
    login(client, desk, "community_a")
    client.post(url, {"action": "approve", "_selected_action": ids[:1]})
    client.post(url, {"action": "refuse", "_selected_action": ids})
    statuses = dict(ExtensionRequest.objects.values_list("pk", "status"))
    assert statuses == {ids[0]: "approved", ids[1]: "refused"}
    # The timeline says who decided (the operation wrote it, not a form).
    assert Case.objects.get(pk=cases[0].pk).events.filter(action="decide_extension").count() == 1
