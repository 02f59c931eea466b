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
from services.actions.intake import PLACE_KINDS, clean_tracking_code
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


def home_building(user) -> Area | None:
    """A registered resident's building (grids Resident → Household → building), where their
    report most likely is; None for anyone else."""
    from grids.models import Resident

    if user is None or not user.is_authenticated:
        return None
    row = Resident.objects.filter(user=user).select_related("household__building").first()
    building = row.household.building if row is not None else None
    return building if building is not None and building.kind in PLACE_KINDS else None


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


TILES_SHOWN = 8  # category tiles on the first screen; the others behind "more categories"


class CaseForm(TextFormMixin, forms.Form):
    """随手拍 in three taps: a photo, a category tile, one sentence (the place is pre-filled
    for a registered resident). The type is guessed from the category unless chosen
    (services.guess); anyone may file with a phone number."""

    case_type = forms.ChoiceField(
        label=gettext_lazy("What kind of request"),
        choices=[("", gettext_lazy("Let the category decide"))]
        + [c for c in CaseType.choices if c[0] != CaseType.EMERGENCY],
        required=False,
    )
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), coerce=int)
    description = forms.CharField(
        label=gettext_lazy("In one sentence: what is wrong?"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
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
        self.categories = categories_by_use()
        self.fields["category"].choices = [("", "—")] + [
            (c.pk, f"{c.parent.name} · {c.name}" if c.parent_id else c.name)
            for c in self.categories
        ]
        self.home: Area | None = None
        if user is not None and user.is_authenticated:
            self.fields["reporter_phone"].initial = user.phone or ""
            self.home = home_building(user)
            if self.home is not None:
                self.fields["place"].initial = self.home.pk
        self.fields["place"].error_messages["required"] = _(
            "Choose the place: search for your estate or building, or use your location."
        )

    def category_tiles(self) -> tuple[list[dict], list[dict]]:
        """The categories as tiles (the ones people pick, not the headings over them), the
        most used first: those shown at once, and the rest behind "more categories"."""
        from services.guess import category_icon
        from services.icons import svg

        parents = {c.parent_id for c in self.categories if c.parent_id}
        chosen = str(self["category"].value() or "")
        tiles = [
            {
                "pk": c.pk,
                "name": c.name,
                "icon": svg(category_icon(c)),
                "checked": str(c.pk) == chosen,
            }
            for c in self.categories
            if c.pk not in parents
        ]
        return tiles[:TILES_SHOWN], tiles[TILES_SHOWN:]

    def place_label(self) -> str:
        """The chosen (or pre-filled) place as residents name it, for the page to show."""
        from services.views.common import place_label

        value = self["place"].value()
        if self.home is not None and str(value) == str(self.home.pk):
            return place_label(self.home)
        try:
            area = Area.objects.filter(pk=int(value), kind__in=PLACE_KINDS)
        except (TypeError, ValueError):
            return ""
        found = area.first()
        return place_label(found) if found else ""

    def clean_reporter_phone(self):
        value = self.cleaned_data.get("reporter_phone") or ""
        if not value and (self.user is None or not self.user.is_authenticated):
            raise ValidationError(_("Leave a phone number so we can reach you."))
        return value

    def clean_place(self):
        place = Area.objects.filter(pk=self.cleaned_data["place"]).first()
        if place is None or place.kind not in PLACE_KINDS:
            raise ValidationError(
                _("Choose the place: search for your estate or building, or use your location.")
            )
        return place

    def clean(self):
        data = super().clean()
        category = next((c for c in self.categories if c.pk == data.get("category")), None)
        if not data.get("case_type") and category is not None:
            from services.guess import guess_case_type

            data["case_type"] = guess_case_type(category)
        return data

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


class TrackForm(TextFormMixin, forms.Form):
    """/cases/track/: the short tracking code and the last 4 digits of the phone it was filed
    with (the code alone is not enough: a code read over a shoulder opens nothing)."""

    code = forms.CharField(
        label=gettext_lazy("Tracking code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    phone_tail = forms.CharField(
        label=gettext_lazy("Last 4 digits of your phone number"),
        max_length=4,
        min_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_code(self):
        code = clean_tracking_code(self.cleaned_data["code"])
        if not code:
            raise ValidationError(_("Enter the tracking code from the text message."))
        return code

    def clean_phone_tail(self):
        value = clean_tracking_code(self.cleaned_data["phone_tail"])
        if not (len(value) == 4 and value.isascii() and value.isdigit()):
            raise ValidationError(_("Enter the last 4 digits of your phone number."))
        return value
