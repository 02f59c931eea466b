"""Forms of the phone pages (residents and grid workers). They only parse and check input;
every write goes through services.actions, whose ValidationErrors are put back on the form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.models import Area
from grids.models.visits import NOTE_MAX as VISIT_NOTE_MAX
from portal.text import PhoneField, TextFormMixin
from services.choices import CaseType, Rating
from services.limits import (
    ADDRESS_MAX,
    COMMENT_MAX,
    DESCRIPTION_MAX,
    NAME_MAX,
    NOTE_MAX,
    RESULT_MAX,
)
from services.models import Case, Category

CATEGORY_ORDER_TTL = 600


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to 9 photos; services.photos checks type and size when the case is saved."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/*", "data-shrink": "", "multiple": True}),
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(PhotosField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def categories_by_use() -> list[Category]:
    """Active leaf-or-parent categories, the most used of the last cases first (cached ten
    minutes: the order need not move with every case)."""
    from django.core.cache import cache

    order = cache.get("linli:services:category-order")
    if order is None:
        recent = Case.objects.order_by("-id").values_list("id", flat=True)[5000:5001]
        floor = recent[0] if recent else 0
        counts = dict(
            Case.objects.filter(id__gt=floor)
            .values_list("category_id")
            .annotate(n=Count("id"))
            .values_list("category_id", "n")
        )
        order = counts
        cache.set("linli:services:category-order", order, CATEGORY_ORDER_TTL)
    cats = list(Category.objects.filter(is_active=True).select_related("parent"))
    cats.sort(key=lambda c: (-order.get(c.pk, 0), c.sort, c.name))
    return cats


class CaseForm(TextFormMixin, forms.Form):
    """随手拍: what a resident (or anyone, with a phone number) files."""

    case_type = forms.ChoiceField(
        label=gettext_lazy("What kind of request"),
        choices=[c for c in CaseType.choices if c[0] != CaseType.EMERGENCY],
        initial=CaseType.HELP,
    )
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), coerce=int)
    description = forms.CharField(
        label=gettext_lazy("What is the problem"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photos = PhotosField(label=gettext_lazy("Photos (up to 9)"))
    place = forms.IntegerField(label=gettext_lazy("Where"), widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    address = forms.CharField(
        label=gettext_lazy("Address or landmark (optional)"), max_length=ADDRESS_MAX, required=False
    )
    reporter_name = forms.CharField(
        label=gettext_lazy("Your name (optional)"), max_length=NAME_MAX, required=False
    )
    reporter_phone = PhoneField(label=gettext_lazy("Your phone number"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["category"].choices = [("", "—")] + [
            (c.pk, f"{c.parent.name} · {c.name}" if c.parent_id else c.name)
            for c in categories_by_use()
        ]
        if user is not None and user.is_authenticated:
            self.fields["reporter_phone"].initial = user.phone or ""
        self.fields["place"].error_messages["required"] = _(
            "Choose the place: community, grid, estate and building, or use your location."
        )

    def clean_reporter_phone(self):
        value = self.cleaned_data.get("reporter_phone") or ""
        if not value and (self.user is None or not self.user.is_authenticated):
            raise ValidationError(_("Leave a phone number so we can reach you."))
        return value

    def clean_place(self):
        place = Area.objects.filter(pk=self.cleaned_data["place"]).first()
        if place is None or place.kind not in ("grid", "estate", "building"):
            raise ValidationError(
                _("Choose the place: community, grid, estate and building, or use your location.")
            )
        return place

    def add_action_errors(self, exc: ValidationError) -> None:
        """Put an action's ValidationError on the fields it names (others on the form)."""
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, exc)


class CallbackForm(TextFormMixin, forms.Form):
    solved = forms.TypedChoiceField(
        label=gettext_lazy("Was the problem solved?"),
        choices=[("1", gettext_lazy("Yes")), ("0", gettext_lazy("No"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    rating = forms.TypedChoiceField(
        label=gettext_lazy("How satisfied are you?"),
        choices=Rating.choices,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        max_length=COMMENT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class WorkerCaseForm(TextFormMixin, forms.Form):
    """A grid worker's case in under 30 seconds (未诉先办)."""

    category = forms.TypedChoiceField(label=gettext_lazy("Category"), coerce=int)
    description = forms.CharField(
        label=gettext_lazy("What was found"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = PhotosField(label=gettext_lazy("Photos"))
    place = forms.TypedChoiceField(label=gettext_lazy("Where"), coerce=int)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    handled_on_spot = forms.BooleanField(label=gettext_lazy("Handled on the spot"), required=False)
    result = forms.CharField(
        label=gettext_lazy("How it was handled"),
        max_length=RESULT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    result_photos = PhotosField(label=gettext_lazy("Photo of the result"))
    # Filing for a resident who told the worker in the lane (王阿姨): the case becomes theirs,
    # found under their phone's login and texted its number (services.actions.intake).
    for_phone = PhoneField(
        label=gettext_lazy("Resident's mobile (when filing for a resident)"),
        required=False,
        landline=False,
    )
    for_name = forms.CharField(label=gettext_lazy("Resident's name"), max_length=60, required=False)

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—")] + [
            (c.pk, f"{c.parent.name} · {c.name}" if c.parent_id else c.name)
            for c in categories_by_use()
        ]
        self.fields["place"].choices = [("", "—")] + [(a.pk, a.name) for a in places]

    add_action_errors = CaseForm.add_action_errors


class PatrolForm(TextFormMixin, forms.Form):
    place = forms.TypedChoiceField(label=gettext_lazy("Where"), coerce=int, required=False)
    seen = forms.CharField(
        label=gettext_lazy("What was seen"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    all_well = forms.BooleanField(label=gettext_lazy("All well"), required=False, initial=True)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [("", "—")] + [(a.pk, a.name) for a in places]


class NoteForm(TextFormMixin, forms.Form):
    """Progress, resolve, return, escalation or extension: a text and maybe photos."""

    note = forms.CharField(
        label=gettext_lazy("Note"), max_length=NOTE_MAX, required=False, widget=forms.Textarea
    )
    photos = PhotosField(label=gettext_lazy("Photos"))
    days = forms.IntegerField(
        label=gettext_lazy("Extra working days"), min_value=1, max_value=30, required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class VisitForm(TextFormMixin, forms.Form):
    """A visit to a household (grids.actions.record_visit), from the household's phone page."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind of visit"), widget=forms.RadioSelect)
    visited_on = forms.DateField(
        label=gettext_lazy("Visited on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=gettext_lazy("Visit notes"),
        max_length=VISIT_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    follow_up_case = forms.CharField(
        label=gettext_lazy("Case raised after the visit (number, if any)"),
        max_length=16,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        from django.utils import timezone

        from grids.models import VisitKind

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = VisitKind.choices
        self.fields["kind"].initial = VisitKind.HOME
        self.fields["visited_on"].initial = timezone.localdate()


class RevealForm(TextFormMixin, forms.Form):
    """See one full number of a resident (grids.privacy.reveal: logged with the reason)."""

    field = forms.ChoiceField(
        label=gettext_lazy("Number"),
        choices=(("phone", gettext_lazy("mobile phone")), ("id_number", gettext_lazy("ID number"))),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)
