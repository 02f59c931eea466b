"""The area tree in the admin: browsed one level at a time (treebeard), each node with its
counts of grids, households and party members and its coverage, all computed by correlated
subqueries in the one query that lists the page.

Adding, editing and moving a node are grids.actions operations (add_area, update_area,
move_area): the admin's form, its drag and drop and the Excel import all call them.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin

from grids import actions
from grids.admin.boundaries import BoundaryAdminMixin
from grids.admin.common import ExcelAdminMixin, OperationAdminMixin, OperationForm, subtree_filter
from grids.admin_mixins import ScopedAdminMixin
from grids.coverage import estate_has_branch, household_has_contact
from grids.models import Area, AreaKind, Household, PartyMember
from grids.scope import may, scope_for

# Paths sort in the C collation (migration 0008): every descendant of P lies in [P, P + "~"),
# so a subtree is an index range scan even when P comes from the outer row of a correlated
# subquery (a LIKE with a non-constant pattern is not).
PAST_ALPHABET = "~"


def subtree_range(prefix: str, outer: str = "path") -> Q:
    """Rows whose `<prefix>path` lies in the subtree of the outer row's `outer` path."""
    return Q(
        **{
            f"{prefix}path__gte": OuterRef(outer),
            f"{prefix}path__lt": Concat(OuterRef(outer), Value(PAST_ALPHABET)),
        }
    )


def count_of(queryset, q: Q):
    return Coalesce(
        Subquery(
            queryset.filter(q)
            .order_by()
            .annotate(_g=Value(1))
            .values("_g")
            .annotate(n=Count("*"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def annotate_counts(queryset):
    """Per node: grids, estates (and those with a branch), households (and those with a
    contact party member), party members in its subtree; one SELECT for the whole page."""
    estates = Area.objects.filter(kind="estate")
    households = Household.objects.all()
    return queryset.annotate(
        n_grids=count_of(Area.objects.filter(kind="grid"), subtree_range("")),
        n_estates=count_of(estates, subtree_range("")),
        n_estates_branch=count_of(estates.filter(estate_has_branch()), subtree_range("")),
        n_households=count_of(households, subtree_range("building__")),
        n_households_contact=count_of(
            households.filter(household_has_contact()), subtree_range("building__")
        ),
        n_party_members=count_of(PartyMember.objects.all(), subtree_range("area__")),
    )


def percent(part, whole) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "—"


class AreaForm(OperationForm):
    """A new area is placed under a parent (add_area checks the placement and the scope); an
    existing one is edited in place (update_area) and moved on the tree (move_area)."""

    parent = forms.ModelChoiceField(queryset=Area.objects.none(), required=False, label=_("under"))

    class Meta:
        model = Area
        fields = list(actions.AREA_FIELDS)

    def operate(self, data: dict) -> Area:
        values = {name: data.get(name) for name in actions.AREA_FIELDS}
        if self.instance.pk:
            return actions.update_area(self.instance, actor=self.actor, **values)
        return actions.add_area(data.get("parent"), actor=self.actor, **values)


class AreaAdmin(
    BoundaryAdminMixin, OperationAdminMixin, ExcelAdminMixin, ScopedAdminMixin, TreeAdmin
):
    form = AreaForm
    add_via = "add_area"
    change_via = "update_area"
    excel_kind = "grids"
    list_display = (
        "name",
        "kind",
        "grid_level",
        "code",
        "grids_count",
        "households_count",
        "party_members_count",
        "branch_coverage",
        "contact_coverage",
    )
    list_filter = ("kind", "grid_level", "grid_kind", subtree_filter(""))
    search_fields = ("name", "code")
    list_per_page = 100
    show_full_result_count = False

    # Scope of one node is its path: no query per row (the tree asks for every row).
    def _may(self, request, action, obj=None):
        if not may(request.user, action, self.model):
            return False
        return obj is None or scope_for(request.user).covers_path(obj.path)

    def get_queryset(self, request):
        scope = scope_for(request.user)
        if (
            hasattr(request, "_treebeard_parent_id")
            and not getattr(request, "_ignore_treebeard_filters", False)
            and not self.is_filtered(request)
        ):
            visible = Area.objects.visible_to(request.user)
            if request._treebeard_parent_id:
                try:
                    parent = visible.get(pk=int(request._treebeard_parent_id))
                except (Area.DoesNotExist, ValueError):
                    raise Http404 from None
                request._treebeard_parent = parent
                qs = visible.filter(path__startswith=parent.path, depth=parent.depth + 1)
            else:
                # The top of the tree is where the user's scope starts.
                request._treebeard_parent = None
                qs = (
                    Area.objects.filter(depth=1)
                    if scope.is_superuser
                    else Area.objects.filter(path__in=scope.area_paths)
                )
        else:
            qs = Area.objects.visible_to(request.user)
        url_name = getattr(getattr(request, "resolver_match", None), "url_name", "") or ""
        if url_name.endswith("changelist") or not url_name:
            qs = annotate_counts(qs)
        return qs.order_by("path")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        parents = (
            Area.objects.visible_to(request.user).exclude(kind=AreaKind.BUILDING).order_by("path")
        )
        form.base_fields["parent"].queryset = parents
        form.base_fields["parent"].label_from_instance = lambda a: (
            f"{'—' * (a.depth - 1)} {a.label}"
        )
        if obj is not None:
            form.base_fields["parent"].widget = forms.HiddenInput()
        elif request.GET.get("parent"):
            form.base_fields["parent"].initial = request.GET["parent"]
        return form

    def move_node(self, request):
        """Drag and drop on the tree: move_area checks both ends against the scope and the
        placement; a refusal is a 400 whose message the tree shows after its reload."""
        visible = Area.objects.visible_to(request.user)
        try:
            node = visible.get(pk=int(request.POST.get("node", "")))
            target = visible.get(pk=int(request.POST.get("target", "")))
        except (Area.DoesNotExist, ValueError):
            raise Http404 from None
        if not self.has_change_permission(request, node):
            raise Http404
        as_child = request.POST.get("relation") == "child"
        try:
            actions.move_area(node, target, as_child=as_child, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseBadRequest(" ".join(exc.messages))
        message = (
            gettext('Moved "%(node)s" under "%(other)s".')
            if as_child
            else gettext('Moved "%(node)s" beside "%(other)s".')
        )
        messages.info(request, message % {"node": node, "other": target})
        return HttpResponse("OK")

    @admin.display(description=_("grids"))
    def grids_count(self, obj):
        return getattr(obj, "n_grids", "")

    @admin.display(description=_("households"))
    def households_count(self, obj):
        return getattr(obj, "n_households", "")

    @admin.display(description=_("party members"))
    def party_members_count(self, obj):
        return getattr(obj, "n_party_members", "")

    @admin.display(description=_("estates with a branch"))
    def branch_coverage(self, obj):
        if not hasattr(obj, "n_estates"):
            return ""
        return f"{percent(obj.n_estates_branch, obj.n_estates)} ({obj.n_estates_branch}/{obj.n_estates})"

    @admin.display(description=_("households with a contact member"))
    def contact_coverage(self, obj):
        if not hasattr(obj, "n_households"):
            return ""
        return percent(obj.n_households_contact, obj.n_households)


admin.site.register(Area, AreaAdmin)
