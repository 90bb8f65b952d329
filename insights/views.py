"""
The organisation view (`/org/`) and its CSV exports: for HR, the whole organisation; for a
manager, the people below them (`access.org_people`, the one rule). Anyone else is refused
with the reason. Filters live in the address and only narrow the view (`filters`); every
figure is counted by the database (`figures`), and a large view's figures are kept for a
few minutes (`kept`), which a POST to the page counts again.

Exports write the same tables as the page, every row, streamed; every cell goes through
`csvcells.neutralise`, so nothing in a name runs as a formula in a spreadsheet.
"""

import csv

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_safe

from assessments import access
from pmladder.csvcells import neutralise

from . import drawing, figures, kept
from .filters import read_scope


def _allowed(user):
    """Refuse (403, with the reason) anyone whose view would cover nobody: neither HR nor
    the manager of anyone."""
    if not access.is_manager(user):
        raise PermissionDenied(
            "The organisation view is for managers and HR: it covers the people below you, "
            "and nobody reports to you."
        )


@require_http_methods(["GET", "HEAD", "POST"])
def org(request):
    """The organisation view; a POST counts its kept figures again (see `kept`)."""
    _allowed(request.user)
    form, scope = read_scope(request.GET, request.user)
    round = figures.open_round(scope)
    if request.method == "POST":
        kept.forget(scope, round)
        messages.success(request, "The figures were counted again just now.")
        return redirect(request.get_full_path())
    drawn = kept.figures(scope, round, lambda: drawing.figures_of(scope, round))
    return render(
        request,
        "insights/org.html",
        {
            "form": form,
            "scope": scope,
            "figures": drawn,
            "kept_for": _duration(settings.ORG_FIGURES_KEPT_SECONDS),
            "section": "org",
        },
    )


def _duration(seconds):
    """`seconds` in words: "5 minutes", "90 seconds"."""
    if seconds % 60:
        return f"{seconds} second{pluralize(seconds)}"
    return f"{seconds // 60} minute{pluralize(seconds // 60)}"


class _Echo:
    """A file that hands back what is written to it, for the CSV writer to stream."""

    def write(self, value):
        return value


def _export_table(name, scope):
    """The Table named `name` (as in the address) with every row, or None."""
    levels = figures.levels_by_id()
    tables = {
        "headcount": lambda: figures.headcount(scope, levels),
        "time-in-level": lambda: figures.time_in_level(scope, levels),
        "long-in-level": lambda: figures.long_in_level(scope, levels, limit=None),
        "pipeline": lambda: figures.pipeline(scope, levels, figures.open_round(scope)),
        "pipeline-people": lambda: figures.pipeline_people(
            scope, levels, figures.open_round(scope), limit=None
        ),
        "changes": lambda: figures.level_changes(scope),
        "evidence": lambda: figures.evidence_activity(scope, limit=None),
        "quiet-people": lambda: figures.quiet_people(scope, limit=None),
        "span": lambda: figures.span_of_control(scope),
        "wide-managers": lambda: figures.wide_managers(scope, levels, limit=None),
        "depth": lambda: figures.depth(scope),
        "people": lambda: figures.Table(
            caption="People",
            columns=figures.PEOPLE_COLUMNS,
            rows=figures.people_rows(scope, levels),
        ),
    }
    make = tables.get(name)
    return make() if make else None


@require_safe
def export(request, table):
    _allowed(request.user)
    _, scope = read_scope(request.GET, request.user)
    found = _export_table(table, scope)
    if found is None:
        raise Http404(f"No table {table!r} to export.")
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow([neutralise(column) for column in found.columns])
        for row in found.rows:
            yield writer.writerow([neutralise(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = slugify(f"org {table} {scope.today:%Y-%m-%d}")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
