"""Staff forms of the builder. The answer form is drawn from the questions by the template
(surveys/_questions.html) and checked by surveys.actions.clean_answers, the one rule."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from grids.models import Area
from portal.text import TextFormMixin
from surveys.models import (
    INDEX_NAME_MAX,
    INTRO_MAX,
    OPTION_MAX,
    OPTIONS_MAX,
    PAPER_NUMBER_MAX,
    QUESTION_MAX,
    TITLE_MAX,
    Audience,
    QuestionKind,
)

STAFF_AUDIENCES = [
    (a.value, a.label)
    for a in (Audience.RESIDENTS, Audience.HOUSEHOLDS, Audience.ELDERLY, Audience.PARTY_MEMBERS)
]
LOCAL_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class QuestionnaireForm(TextFormMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=TITLE_MAX)
    intro = forms.CharField(
        label=_("introduction"),
        max_length=INTRO_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    area = forms.ModelChoiceField(label=_("area"), queryset=Area.objects.none())
    audience = forms.ChoiceField(label=_("group"), choices=STAFF_AUDIENCES)
    per_household = forms.BooleanField(label=_("one answer per household"), required=False)
    anonymous = forms.BooleanField(label=_("anonymous"), required=False)
    kiosk = forms.BooleanField(label=_("answerable at the centre's kiosk"), required=False)

    def __init__(self, *args, areas=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas if areas is not None else Area.objects.none()
        self.fields["area"].label_from_instance = lambda a: a.label


class QuestionForm(TextFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("question"), max_length=QUESTION_MAX)
    required = forms.BooleanField(label=_("required"), required=False, initial=True)
    options = forms.CharField(
        label=_("options (one a line)"),
        required=False,
        max_length=(OPTION_MAX + 1) * OPTIONS_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For single and multiple choice: 2 to 12 options."),
    )
    scale_min = forms.IntegerField(label=_("scale from"), initial=1, min_value=0, max_value=9)
    scale_max = forms.IntegerField(label=_("scale to"), initial=5, min_value=1, max_value=10)


class RoundForm(TextFormMixin, forms.Form):
    opens_at = forms.DateTimeField(label=_("opens at"), widget=LOCAL_INPUT)
    closes_at = forms.DateTimeField(label=_("closes at"), widget=LOCAL_INPUT)
    label = forms.CharField(label=_("label"), max_length=40, required=False)


class IndexForm(TextFormMixin, forms.Form):
    name = forms.CharField(label=_("index name"), max_length=INDEX_NAME_MAX)

    def __init__(self, *args, questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.question_fields = []
        for q in questions:
            name = f"w{q.pk}"
            self.fields[name] = forms.DecimalField(
                label=f"{q.position}. {q.text}",
                required=False,
                min_value=0,
                max_value=999,
                decimal_places=2,
            )
            self.question_fields.append((q.pk, name))

    def weights(self) -> dict[int, object]:
        return {qid: self.cleaned_data.get(name) for qid, name in self.question_fields}


class PaperForm(TextFormMixin, forms.Form):
    area = forms.ModelChoiceField(
        label=_("where the form comes from"), queryset=Area.objects.none()
    )
    paper_number = forms.CharField(
        label=_("paper form number"),
        max_length=PAPER_NUMBER_MAX,
        required=False,
        help_text=_("The number printed on the form: a form is keyed in once."),
    )

    def __init__(self, *args, areas=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas if areas is not None else Area.objects.none()
        self.fields["area"].label_from_instance = lambda a: a.label


class KioskForm(TextFormMixin, forms.Form):
    centre: forms.ModelChoiceField = forms.ModelChoiceField(label=_("centre"), queryset=None)
    name = forms.CharField(label=_("kiosk name"), max_length=40)

    def __init__(self, *args, centres=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres
