"""
Readiness drawn, not only written: a bar per category and one overall (`readiness_bars`),
and the span of the counted evidence as a timeline (`readiness_timeline`): each day with
counted evidence as a dot on a line from the first to the latest, with the months the
ladder's rule asks for marked from the first. The numbers come from `assessments.readiness`
(no query here); this module only lays them out, in percent of the width so the picture
fits a phone without squashing its dots, and `_readiness_summary.html` draws it as inline
SVG with a text alternative. No script and no style attribute: the Content-Security-Policy
forbids both (SVG presentation attributes are fine).
"""

from dataclasses import dataclass

from django import template

register = template.Library()

PAD = 3.0  # percent of the width left free at each end, so the end dots are whole
LINE_Y = 28  # where the evidence line runs, in pixels from the top
HEIGHT = 40


@dataclass(frozen=True)
class Dot:
    x: str  # percent of the width, for the SVG's cx
    day: object
    count: int

    @property
    def r(self):
        return 4 + min(self.count, 3)

    @property
    def title(self):
        return (
            f"{self.day.day} {self.day:%b %Y}: {self.count} piece{'' if self.count == 1 else 's'}"
        )


@dataclass(frozen=True)
class Timeline:
    """The geometry of one timeline: x positions are percent strings ("42.50%")."""

    slug: str  # unique on the page, for the title's id
    text: str  # the text alternative (`Readiness.span_text`)
    dots: list
    line_from: str
    line_to: str
    rule_from: str
    rule_width: str
    rule_to: str
    rule_met: bool
    start: object  # the days at the left and right ends of the line
    end: object
    rule_months: int
    height: int = HEIGHT
    line_y: int = LINE_Y


def _percent(value):
    return f"{value:.2f}%"


@register.simple_tag
def readiness_timeline(result):
    """The `Timeline` of a `Readiness`, or None when no evidence counts yet."""
    if not result.dates:
        return None
    start, end = result.first, max(result.last, result.span_end)
    days = (end - start).days

    def place(day):
        if not days:
            return PAD
        return PAD + (100 - 2 * PAD) * (day - start).days / days

    return Timeline(
        slug=f"readiness-timeline-{result.level.pk}",
        text=result.span_text,
        dots=[Dot(_percent(place(day)), day, count) for day, count in result.dates],
        line_from=_percent(place(result.first)),
        line_to=_percent(place(result.last)),
        rule_from=_percent(place(start)),
        rule_width=_percent(place(result.span_end) - place(start)),
        rule_to=_percent(place(result.span_end)),
        rule_met=result.consistent,
        start=start,
        end=end,
        rule_months=result.rule.span_months,
    )


@register.simple_tag
def readiness_bars(result, groups=None):
    """The bars of a `Readiness`: overall first, then per category in the order of the
    placement's `groups` (each with a loaded `.category`), or of the expectations'
    categories when no groups are given. Empty for a level with no expectations."""
    if not result.total:
        return []
    categories = [group.category for group in groups] if groups else None
    return [result.overall, *result.by_category(categories)]
