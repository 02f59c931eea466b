"""The workforce admin: the ladder catalogue (sequences, promotion rules, norms, weights) kept
by city staff, and read-only registers of pay tables, workers, their history, assessments and
proposals (those rows are written by workforce.actions: the staff pages, the Excel import and
set_pay_table; portal.write_path keeps the generic forms off them)."""

from django.contrib import admin

from grids.admin.common import OperationAdminMixin, OperationForm
from grids.admin_mixins import ScopedAdmin, ScopedAdminMixin
from workforce import actions
from workforce.models import (
    Assessment,
    Ladder,
    PayRate,
    PayTable,
    PromotionProposal,
    PromotionRule,
    Sequence,
    Worker,
    WorkerChange,
)


class SequenceInline(ScopedAdminMixin, admin.TabularInline):
    model = Sequence
    extra = 0


class RuleInline(ScopedAdminMixin, admin.TabularInline):
    model = PromotionRule
    extra = 0


@admin.register(Ladder)
class LadderAdmin(ScopedAdmin):
    list_display = ["name", "city", "grade_count", "staffing_norm", "facility_norm"]
    inlines = [SequenceInline, RuleInline]


class PayRateInline(ScopedAdminMixin, admin.TabularInline):
    model = PayRate
    extra = 0


@admin.register(PayTable)
class PayTableAdmin(ScopedAdmin):
    list_display = ["ladder", "effective_from", "effective_to", "note"]
    list_filter = ["ladder"]
    inlines = [PayRateInline]


class ChangeInline(ScopedAdminMixin, admin.TabularInline):
    model = WorkerChange
    extra = 0
    fields = ["at", "kind", "changes", "note", "actor"]
    readonly_fields = ["at", "kind", "changes", "note", "actor"]


class WorkerForm(OperationForm):
    """A worker's details through actions.update_worker (the history records the change);
    grade, community and leaving go through their own operations (the staff pages)."""

    class Meta:
        model = Worker
        fields = [
            "name",
            "position",
            "contract_kind",
            "contract_ends_on",
            "qualification",
            "education",
        ]

    def operate(self, data: dict):
        return actions.update_worker(
            self.instance, actor=self.actor, **{f: data[f] for f in self.Meta.fields}
        )


@admin.register(Worker)
class WorkerAdmin(OperationAdminMixin, ScopedAdmin):
    form = WorkerForm
    change_via = "update_worker"
    list_display = ["name", "community", "position", "sequence", "grade", "started_on", "left_on"]
    list_filter = ["position", "qualification"]
    search_fields = ["name"]
    fields = ["name", "position", "contract_kind", "contract_ends_on", "qualification", "education"]
    inlines = [ChangeInline]


@admin.register(Assessment)
class AssessmentAdmin(ScopedAdmin):
    list_display = ["worker", "year", "total", "result"]
    list_filter = ["year", "result"]


@admin.register(PromotionProposal)
class ProposalAdmin(ScopedAdmin):
    list_display = ["worker", "year", "from_grade", "to_grade", "status"]
    list_filter = ["year", "status"]
