"""
The organisation view's figures drawn as the page shows them: every table counted by the
database (`figures`), its chart drawn as SVG (`charts`), all of it rendered as one piece of
markup, which a large view keeps for a while (`kept`).
"""

from django.template.loader import render_to_string
from django.urls import reverse

from . import figures

try:  # the SVG charts; until they are there, the page shows its tables alone
    from . import charts
except ImportError:  # pragma: no cover
    charts = None


def draw(table, kind="bars"):
    """`table` with its chart drawn as SVG (nothing when it has no rows or no charts)."""
    table.svg = ""
    if charts is not None and table.chart and table.rows:
        table.svg = getattr(charts, kind)(**table.chart)
    return table


def figures_of(scope, round):
    """The figures of `scope`, drawn: (markup, people in view, readiness behind)."""
    levels = figures.levels_by_id()
    totals = figures.activity_totals(scope)
    query = scope.query
    sections = {
        "headcount": draw(figures.headcount(scope, levels)),
        "time_in_level": draw(figures.time_in_level(scope, levels)),
        "long_in_level": figures.long_in_level(scope, levels),
        "pipeline": draw(figures.pipeline(scope, levels, round)),
        "pipeline_people": figures.pipeline_people(scope, levels, round),
        "changes": draw(figures.level_changes(scope), "columns"),
        "evidence": draw(figures.evidence_activity(scope)),
        "quiet_people": figures.quiet_people(scope),
        "span": draw(figures.span_of_control(scope)),
        "wide_managers": figures.wide_managers(scope, levels),
        "depth": draw(figures.depth(scope)),
    }
    exports = {
        name: reverse("insights:export", kwargs={"table": name.replace("_", "-")})
        + (f"?{query}" if query else "")
        for name in [*sections, "people"]
    }
    behind = figures.readiness_behind(scope)
    html = render_to_string(
        "insights/_figures.html",
        {
            "scope": scope,
            "round_state": figures.round_state(scope, round),
            "readiness_behind": behind,
            "totals": totals,
            "promotions": sum(row[1] for row in sections["changes"].rows),
            "s": sections,
            "exports": exports,
            "quiet_days": figures.QUIET_DAYS,
        },
    )
    return html, totals["people"], bool(behind)
