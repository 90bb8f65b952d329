"""Template tags of the organisation view."""

from django import template
from django.template.base import render_value_in_context
from django.template.defaultfilters import date as format_date
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def thousands(value):
    """A whole number with its thousands separated ("10,000"); anything else as it is."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return value


def _cell(cell, context):
    if getattr(cell, "url", None):
        return f'<a href="{escape(cell.url)}">{escape(cell.text)}</a>'
    if getattr(cell, "year", None):
        return f'<span class="text-nowrap">{escape(format_date(cell, "j M Y"))}</span>'
    return render_value_in_context(thousands(cell), context)


@register.simple_tag(takes_context=True)
def table_rows(context, table):
    """The rows of a figure's table (`figures.Table`): the first cell of each a row header,
    the others named by their column for a phone's cards; a `Link` as a link, a date as
    "3 Dec 2026", a number as "1,234". Drawn here rather than in a template loop: the
    page lists up to fifty rows in each of six tables."""
    lines = []
    for row in table.rows:
        first, *rest = row
        cells = [f'<th scope="row" class="fw-normal">{_cell(first, context)}</th>']
        cells.extend(
            f'<td data-label="{escape(column)}">{_cell(cell, context)}</td>'
            for column, cell in zip(table.columns[1:], rest, strict=True)
        )
        lines.append(f"<tr>{''.join(cells)}</tr>")
    return mark_safe("\n".join(lines))
