"""Form widgets of our own.

Django draws each option of a select through a template of its own, which costs about a
quarter of a millisecond an option: fine for a dozen, a second for the two thousand
expectations of a big ladder. `LongSelect` writes the same markup in one pass."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


class LongSelect(forms.Select):
    """A select, optionally grouped (`[(group label, [(value, label), ...]), ...]` among
    plain `(value, label)` choices), written without a template per option. The same
    markup as `forms.Select` for a single choice; attributes the form and crispy-forms add
    (id, class, aria-describedby, required) are kept."""

    def _options(self, choices, selected):
        return format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (value, mark_safe(" selected") if str(value) in selected else "", label)
                for value, label in choices
            ),
        )

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        selected = {str(item) for item in self.format_value(value)}
        parts = []
        for choice, label in self.choices:
            if isinstance(label, (list, tuple)):
                parts.append(
                    format_html(
                        '<optgroup label="{}">{}</optgroup>',
                        choice,
                        self._options(label, selected),
                    )
                )
            else:
                parts.append(self._options([(choice, label)], selected))
        return format_html("<select{}>{}</select>", flatatt(final), mark_safe("".join(parts)))
