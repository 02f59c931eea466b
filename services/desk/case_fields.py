"""The controls of the case page's short forms, written as HTML here.

The page draws about a dozen short forms; Django's widget templates (and format_html) cost more
than the rest of the page, so the few controls these forms use (text areas, selects with
groups, radios, numbers, files, hidden fields) are written here, every value through
escape(), with the label, the kept value and the errors (aria-described) Django would give."""

from __future__ import annotations

from django import forms
from django.utils.html import escape


def errors_html(errors, id_: str) -> str:
    """Errors as an alert, described-by target of the field `id_` (none for the form's)."""
    ident = f' id="{escape(id_)}-error"' if id_ else ""
    text = escape(" ".join(str(e) for e in errors))
    return f'<div class="error" role="alert"{ident}>{text}</div>'


def _options(choices, selected: str) -> str:
    out = []
    for value, label in choices:
        if isinstance(label, list | tuple):  # an optgroup
            out.append(f'<optgroup label="{escape(value)}">{_options(label, selected)}</optgroup>')
        else:
            mark = " selected" if str(value) == selected else ""
            out.append(f'<option value="{escape(value)}"{mark}>{escape(label)}</option>')
    return "".join(out)


def render_field(bf) -> str:
    """One bound field as HTML: label, control, errors (aria-described), kept value."""
    field, widget = bf.field, bf.field.widget
    name, id_ = escape(bf.html_name), escape(bf.auto_id)
    value = bf.value()
    shown = "" if value is None else escape(value)
    if isinstance(widget, forms.HiddenInput):
        return f'<input type="hidden" name="{name}" value="{shown}">'
    required = " required" if field.required else ""
    invalid = f' aria-invalid="true" aria-describedby="{id_}-error"' if bf.errors else ""
    common = f' name="{name}" id="{id_}"{required}{invalid}'
    label = f'<label for="{id_}">{escape(bf.label)}</label>'
    if isinstance(widget, forms.RadioSelect):
        items = []
        for i, (choice, text) in enumerate(field.choices):
            checked = " checked" if value is not None and str(choice) == str(value) else ""
            items.append(
                f'<label for="{id_}_{i}"><input type="radio" name="{name}" '
                f'value="{escape(choice)}" id="{id_}_{i}"{required}{checked}> '
                f"{escape(text)}</label>"
            )
        control = (
            f'<fieldset id="{id_}"><legend>{escape(bf.label)}</legend>'
            f'<div class="choices">{"".join(items)}</div></fieldset>'
        )
        label = ""
    elif isinstance(widget, forms.Select):
        selected = "" if value in (None, "") else str(value)
        control = f"<select{common}>{_options(field.choices, selected)}</select>"
    elif isinstance(widget, forms.Textarea):
        rows = int(widget.attrs.get("rows", 2))
        # The newline after the tag as Django writes it: browsers drop the first one.
        control = (
            f'<textarea{common} rows="{rows}" maxlength="{field.max_length or 4000}">\n'
            f"{shown}</textarea>"
        )
    elif isinstance(widget, forms.FileInput):
        control = f'<input type="file"{common} accept="image/*" multiple>'
    elif isinstance(widget, forms.NumberInput):
        control = (
            f'<input type="number"{common} min="{field.min_value}" max="{field.max_value}" '
            f'value="{shown}" inputmode="numeric">'
        )
    else:
        control = (
            f'<input type="text"{common} maxlength="{field.max_length or 200}" value="{shown}">'
        )
    errors = errors_html(bf.errors, bf.auto_id) if bf.errors else ""
    css = "field has-error" if bf.errors else "field"
    return f'<div class="{css}">{label}{control}{errors}</div>'
