"""Charts drawn on the server as inline SVG: horizontal bars (`bars`) and vertical columns
(`columns`), one group per category, each series side by side or stacked.

The rule: a chart never carries meaning in colour alone and never needs a script. Every
figure is written as text beside its bar (a stack by its total, each part inside its
segment, or listed after the total when a segment is too narrow for it); each series has a
colour and a pattern and is named in a legend, so the picture reads on a phone, in print
and on a black and white printer. Every text is escaped, and the numbers are also in the
table the page shows under the chart. Widths of text are estimated from the characters,
since the server cannot measure a font: labels too long for their room are cut with an
ellipsis and keep their full text in a `<title>` child.

The picture is a `viewBox` with `width="100%"` and no fixed height, so it scales with the
page; `static/css/charts.css` caps its size by the `chart-w…` class (so text stays near its
drawn size) and sets the print rules.
"""

import itertools
import math
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Bootstrap 5.3 colours dark enough for 4.5:1 against white (WCAG AA even for text), so a
# bar stays visible beside white and a pale pattern line stays visible on the bar.
COLOURS = ("#0a58ca", "#984c0c", "#146c43", "#6f42c1", "#ab296a", "#087990")
TEXT = "#212529"  # gray-900, 15:1 on white
MUTED = "#495057"  # gray-700, 8:1 on white, for scale figures
GRID = "#dee2e6"  # gray-300, lines only
AXIS = "#6c757d"  # gray-600

FONT = 12  # labels and legend, in viewBox units
SMALL = 11  # figures and scale
PAD = 4
STACK_HEIGHT = 18  # a bar of a single series, or a stack
BARS_WIDTH = 360  # drawn about life-size on a phone; charts.css caps it on wide screens
COLUMN_WIDTHS = (360, 480, 600, 720)  # the sizes charts.css knows
COLUMN_PLOT_HEIGHT = 160
ROTATED_LABEL_MAX = 84  # longest category label under a column, once turned 45 degrees
NOTHING_TO_DRAW = "Nothing to draw: there are no figures for this selection."

# Every chart on a page needs its own ids for its title, description and patterns.
_serial = itertools.count(1)

# Characters XML refuses even when escaped; names pasted from elsewhere can carry them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# Public ------------------------------------------------------------------------------


def bars(*, title, description, categories, series, unit="people", stacked=False) -> SafeString:
    """Horizontal bars: a row per category, one bar per series (or one stacked bar)."""
    chart = _chart(title, description, categories, series, unit, stacked, "bars")
    return _empty(chart) if chart.empty else _draw_bars(chart)


def columns(*, title, description, categories, series, unit="people", stacked=False) -> SafeString:
    """Vertical columns, for a sequence such as quarters: a slot per category."""
    chart = _chart(title, description, categories, series, unit, stacked, "columns")
    return _empty(chart) if chart.empty else _draw_columns(chart)


# Input ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chart:
    """The checked input of one chart and its id on the page."""

    id: str
    kind: str
    title: str
    description: str
    categories: list
    names: list
    values: list  # one list per series, one number per category
    unit: str
    stacked: bool

    @property
    def empty(self):
        return not self.categories or not self.names

    @property
    def totals(self):
        return [sum(column) for column in zip(*self.values, strict=True)]

    @property
    def largest(self):
        """The largest figure a bar reaches: a stack's total, or a single value."""
        if self.stacked:
            return max(self.totals)
        return max(max(row) for row in self.values)


def _chart(title, description, categories, series, unit, stacked, kind):
    categories = [_clean(category) for category in categories]
    names, values = [], []
    for name, row in series:
        # An aggregate over no rows (a Sum) answers None: nothing counted draws as zero.
        row = [0 if value is None else value for value in row]
        if len(row) != len(categories):
            raise ValueError(
                f"Series {name!r} has {len(row)} values for {len(categories)} categories."
            )
        if any(value < 0 for value in row):
            raise ValueError(f"Series {name!r} has a negative value; charts draw counts.")
        names.append(_clean(name))
        values.append(row)
    return _Chart(
        id=f"svgchart-{next(_serial)}",
        kind=kind,
        title=_clean(title),
        description=_clean(description),
        categories=categories,
        names=names,
        values=values,
        unit=_clean(unit),
        stacked=bool(stacked) and len(names) > 1,
    )


# Text ----------------------------------------------------------------------------------


def _clean(text):
    return _NOT_XML.sub("", str(text))


def _e(text):
    return escape(text)


def _fmt(value):
    """A figure as people read it: thousands separated, whole numbers without decimals,
    others (an average, a Decimal) to at most two decimal places."""
    if value != int(value):
        return f"{float(value):,.2f}".rstrip("0").rstrip(".")
    return f"{int(value):,}"


def _unit_for(value, unit):
    if value != 1:
        return unit
    if unit == "people":
        return "person"
    return unit[:-1] if unit.endswith("s") else unit


# Advances in em of DejaVu Sans, the widest of the common sans-serif faces (and the one
# Linux browsers fall back to): an estimate that errs wide keeps text inside its room.
_NARROW = set("fijlrt.,:;'!|()[]/-· ")
_WIDE = set("mwMW@%&<>")


def _width(text, size):
    """An upper estimate of a text's width at font size `size`."""
    em = 0.0
    for char in text:
        if char in _NARROW:
            em += 0.36
        elif char in _WIDE:
            em += 0.95
        elif char.isupper():
            em += 0.72
        elif char.isdigit():
            em += 0.64
        elif ord(char) > 0x2E7F:  # CJK and other wide scripts
            em += 1.0
        else:
            em += 0.62
    return em * size


def _fit(text, size, room):
    """The text, cut with an ellipsis to fit `room`; and whether it was cut."""
    if _width(text, size) <= room:
        return text, False
    # No more characters fit than the narrowest could: start there, not at a long name's end.
    cut = text[: int(room / (0.36 * size)) + 1]
    while cut and _width(cut + "…", size) > room:
        cut = cut[:-1]
    return cut.rstrip() + "…", True


def _label(text, size, room, **attrs):
    """A `<text>` cut to its room; a cut one keeps its full text as a tooltip."""
    shown, cut = _fit(text, size, room)
    tooltip = f"<title>{_e(text)}</title>" if cut else ""
    return f'<text{_attrs(attrs)} font-size="{size}">{tooltip}{_e(shown)}</text>'


def _attrs(attrs):
    return "".join(
        f' {name.rstrip("_").replace("_", "-")}="{_e(_num(value))}"'
        for name, value in attrs.items()
        if value is not None
    )


def _num(value):
    """Coordinates rounded to a tenth: the markup stays short and reproducible."""
    if isinstance(value, float):
        value = round(value, 1)
        return str(int(value)) if value.is_integer() else str(value)
    return str(value)


# Scale ---------------------------------------------------------------------------------


def _ticks(largest, most, integers):
    """Round steps for a scale with at most `most` intervals: 1, 2 or 5 times a power of
    ten (whole steps for counts). Returns the scale's top and the tick values."""
    top = largest or 1
    power = 10 ** math.floor(math.log10(top / most))
    for factor in itertools.chain.from_iterable(
        (1 * p, 2 * p, 5 * p) for p in (power, power * 10, power * 100)
    ):
        # Counts step by whole numbers; other figures by a tenth at least, as they are shown.
        step = max(factor, 1 if integers else 0.1)
        if math.ceil(top / step - 1e-9) <= most:
            break
    count = math.ceil(top / step - 1e-9)
    if integers:
        step = int(step)
    return step * count, [step * i for i in range(count + 1)]


def _intervals_across(largest, length):
    """How many scale steps fit side by side, each figure with some air around it."""
    return max(1, int(length // (_width(_fmt((largest or 1) * 2), SMALL) + 12)))


def _integers(chart):
    return all(float(value).is_integer() for row in chart.values for value in row)


# Shared parts --------------------------------------------------------------------------


def _defs(chart):
    """A fill per series: the first plain, the others patterned in white over colour."""
    patterns = []
    for index in range(1, len(chart.names)):
        colour = COLOURS[index % len(COLOURS)]
        shape = _PATTERNS[(index - 1) % len(_PATTERNS)]
        patterns.append(
            f'<pattern id="{chart.id}-p{index}" width="6" height="6" '
            f'patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="{colour}"/>'
            f"{shape}</pattern>"
        )
    return f"<defs>{''.join(patterns)}</defs>" if patterns else ""


_PATTERNS = (
    '<path d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2" stroke="#fff" stroke-width="1.5"/>',
    '<circle cx="3" cy="3" r="1.3" fill="#fff"/>',
    '<path d="M0,1.5 h6 M0,4.5 h6" stroke="#fff" stroke-width="1"/>',
    '<path d="M0,0 l6,6 M6,0 l-6,6" stroke="#fff" stroke-width="1"/>',
    '<path d="M1.5,0 v6 M4.5,0 v6" stroke="#fff" stroke-width="1"/>',
)


def _fill(chart, index):
    if index == 0:
        return COLOURS[0]
    return f"url(#{chart.id}-p{index})"


def _legend(chart, width, top):
    """The series' swatches and names, wrapped into rows; empty for a single series.
    Returns the markup and the height it takes."""
    if len(chart.names) < 2:
        return "", 0
    parts, x, y = [], PAD, top
    room = width - 2 * PAD - 18
    for index, name in enumerate(chart.names):
        shown, _ = _fit(name, FONT, room)
        item = 18 + _width(shown, FONT) + 14
        if x > PAD and x + item > width - PAD:
            x, y = PAD, y + 18
        parts.append(
            f'<g class="chart-key"><rect x="{_num(x)}" y="{y + 1}" width="12" height="12" '
            f'fill="{_fill(chart, index)}" stroke="{TEXT}" stroke-width="0.5"/>'
            + _label(name, FONT, room, x=x + 17, y=y + 11)
            + "</g>"
        )
        x += item
    return "".join(parts), y - top + 18 + 6


def _frame(chart, width, height, body):
    described = f"{chart.id}-title {chart.id}-desc"
    return mark_safe(  # every text inside went through _e
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{chart.kind} '
        f'{_size_class(width)}" viewBox="0 0 {width} {_num(height)}" width="100%" role="img" '
        f'aria-labelledby="{described}" fill="{TEXT}" font-size="{FONT}">'
        f'<title id="{chart.id}-title">{_e(chart.title)}</title>'
        f'<desc id="{chart.id}-desc">{_e(chart.description)}</desc>'
        f"{_defs(chart)}{body}</svg>"
    )


def _size_class(width):
    """The class charts.css caps the chart's size by; the widest are left to their column."""
    return f"chart-w{width}" if width in COLUMN_WIDTHS else "chart-wide"


def _empty(chart):
    body = (
        f'<rect x="1" y="1" width="{BARS_WIDTH - 2}" height="46" rx="6" fill="#f8f9fa" '
        f'stroke="#adb5bd" stroke-dasharray="4 3"/>'
        f'<text x="{BARS_WIDTH // 2}" y="28" text-anchor="middle" fill="{MUTED}">'
        f"{_e(NOTHING_TO_DRAW)}</text>"
    )
    return _frame(chart, BARS_WIDTH, 48, body)


def _tooltip(chart, category, index, value):
    name = f" · {chart.names[index]}" if len(chart.names) > 1 else ""
    return (
        f"<title>{_e(category)}{_e(name)}: {_fmt(value)} {_e(_unit_for(value, chart.unit))}</title>"
    )


def _fits_inside(value, room_w, room_h):
    """Whether a part's figure fits on a tab inside its segment (a zero draws none)."""
    return value == 0 or (_width(_fmt(value), SMALL) + 8 <= room_w and room_h >= 13)


def _inside_label(x, y, value, room_w, room_h):
    """A part's figure on a white tab inside its segment, when the segment has room."""
    if value == 0 or not _fits_inside(value, room_w, room_h):
        return ""
    text = _fmt(value)
    text_w = _width(text, SMALL)
    return (
        f'<rect x="{_num(x - text_w / 2 - 2)}" y="{_num(y - 6)}" width="{_num(text_w + 4)}" '
        f'height="12" rx="2" fill="#fff"/>'
        f'<text class="chart-value" x="{_num(x)}" y="{_num(y)}" dy="0.35em" '
        f'text-anchor="middle" font-size="{SMALL}">{text}</text>'
    )


# Horizontal bars -----------------------------------------------------------------------


def _draw_bars(chart):
    width = BARS_WIDTH
    legend, legend_h = _legend(chart, width, PAD)
    series_count = len(chart.names)
    bars_in_row = 1 if chart.stacked else series_count
    # Bars of a group thin out as the group grows, so a row stays about the same height.
    bar_h = STACK_HEIGHT if bars_in_row == 1 else (14 if bars_in_row == 2 else 12)
    row_h = bars_in_row * bar_h + (bars_in_row - 1) * 2
    row_gap = 8 if bars_in_row > 1 else 6

    label_w = min(max(_width(c, FONT) for c in chart.categories) + 8, width * 0.4)
    label_w = max(label_w, 24)
    x0, plot_w, top, ticks = _bars_scale(chart, width, label_w)

    def length(value):
        return plot_w * value / top

    y_first = PAD + legend_h
    y = y_first
    parts = []
    for at, category in enumerate(chart.categories):
        centre = y + row_h / 2
        parts.append(
            _label(category, FONT, label_w - 8, x=x0 - 6, y=centre, dy="0.35em", text_anchor="end")
        )
        if chart.stacked:
            parts.append(_stacked_bar(chart, at, category, x0, y, bar_h, length))
        else:
            for index in range(series_count):
                bar_y = y + index * (bar_h + 2)
                value = chart.values[index][at]
                parts.append(_bar(chart, at, category, index, x0, bar_y, bar_h, length(value)))
                parts.append(
                    f'<text class="chart-value" x="{_num(x0 + length(value) + 4)}" '
                    f'y="{_num(bar_y + bar_h / 2)}" dy="0.35em" font-size="{SMALL}">'
                    f"{_fmt(value)}</text>"
                )
        y += row_h + row_gap
    y_axis = y - row_gap + 4
    grid = _vertical_grid(ticks, top, x0, plot_w, y_first - 2, y_axis)
    scale = "".join(
        f'<text class="chart-scale" x="{_num(x0 + plot_w * t / top)}" y="{_num(y_axis + 13)}" '
        f'text-anchor="middle" font-size="{SMALL}" fill="{MUTED}">{_fmt(t)}</text>'
        for t in ticks
    )
    caption = (
        f'<text x="{_num(x0 + plot_w / 2)}" y="{_num(y_axis + 29)}" text-anchor="middle" '
        f'font-size="{SMALL}" fill="{MUTED}">{_e(chart.unit)}</text>'
    )
    body = f"{legend}{grid}{''.join(parts)}{scale}{caption}"
    return _frame(chart, width, y_axis + 34, body)


def _bar(chart, at, category, index, x, y, height, bar_w):
    value = chart.values[index][at]
    return (
        f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(bar_w)}" height="{height}" '
        f'fill="{_fill(chart, index)}">{_tooltip(chart, category, index, value)}</rect>'
    )


def _bars_scale(chart, width, label_w):
    """Where the bars start, how long the scale is, and its ticks: what is left of the
    width once the labels and the figures after the longest bars have their room. The
    figures depend on the scale (a stack lists its parts when some part has no room inside
    its segment), so the two are settled together, in a few rounds."""
    integers = _integers(chart)
    plot_w = width - label_w - PAD - 30
    for _ in range(4):
        top, ticks = _ticks(chart.largest, _intervals_across(chart.largest, plot_w), integers)
        ends = _bar_ends(chart, lambda value, top=top, plot_w=plot_w: plot_w * value / top)
        figures_w = max(_width(end, SMALL) for end in ends) + 6
        # The scale's last figure sits centred on the end of the scale: it needs room too.
        right = max(figures_w, _width(_fmt(top), SMALL) / 2 + 2) + PAD
        settled = abs(width - label_w - right - plot_w) < 1
        plot_w = width - label_w - right
        if settled:
            break
    top, ticks = _ticks(chart.largest, _intervals_across(chart.largest, plot_w), integers)
    return label_w, plot_w, top, ticks


def _bar_ends(chart, length):
    """The text after every bar: its value, or a stack's total and, when needed, parts."""
    if not chart.stacked:
        return [_fmt(value) for row in chart.values for value in row]
    return [_stack_end(chart, at, length) for at in range(len(chart.categories))]


def _stack_end(chart, at, length):
    """A stack's total; with every part listed in legend order when some part has no room
    for its figure inside its segment (unless the list would crowd the bars out)."""
    total = _fmt(chart.totals[at])
    values = [row[at] for row in chart.values]
    if all(_fits_inside(value, length(value), STACK_HEIGHT) for value in values):
        return total
    listed = f"{total} ({' + '.join(_fmt(value) for value in values)})"
    return listed if _width(listed, SMALL) <= BARS_WIDTH * 0.3 else total


def _stacked_bar(chart, at, category, x0, y, height, length):
    parts, x = [], x0
    for index in range(len(chart.names)):
        value = chart.values[index][at]
        seg_w = length(value)
        if value:
            parts.append(_bar(chart, at, category, index, x, y, height, seg_w))
            parts.append(_inside_label(x + seg_w / 2, y + height / 2, value, seg_w, height))
        x += seg_w
    total, _, listed = _stack_end(chart, at, length).partition(" ")
    listed = f"<tspan>{_e(' ' + listed)}</tspan>" if listed else ""
    parts.append(
        f'<text class="chart-total" x="{_num(x + 4)}" y="{_num(y + height / 2)}" dy="0.35em" '
        f'font-size="{SMALL}"><tspan font-weight="bold">{total}</tspan>{listed}</text>'
    )
    return "".join(parts)


def _vertical_grid(ticks, top, x0, plot_w, y_from, y_to):
    lines = [
        f'<line x1="{_num(x0 + plot_w * t / top)}" x2="{_num(x0 + plot_w * t / top)}" '
        f'y1="{_num(y_from)}" y2="{_num(y_to)}" stroke="{GRID}" class="chart-grid"/>'
        for t in ticks[1:]
    ]
    lines.append(
        f'<line x1="{_num(x0)}" x2="{_num(x0)}" y1="{_num(y_from)}" y2="{_num(y_to)}" '
        f'stroke="{AXIS}" class="chart-axis"/>'
    )
    return "".join(lines)


# Vertical columns ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Columns:
    """Where the columns of a chart go: its width, the scale's room on the left, a slot
    per category holding its column or group, and how figures and labels are written."""

    width: int
    left: float
    slot: float
    col_w: float
    group_w: float
    across: bool  # figures written across above their columns, or turned upright
    figure_w: float
    label_lines: list | None  # each label's lines across, or None: turned labels
    label_w: float
    top: float
    ticks: list


def _column_layout(chart):
    count = len(chart.categories)
    in_slot = 1 if chart.stacked else len(chart.names)
    figures = chart.totals if chart.stacked else [v for row in chart.values for v in row]
    figure_w = max(_width(_fmt(v), SMALL) for v in figures)
    # The scale's figures stand one above the other: five steps leave air between them.
    top, ticks = _ticks(chart.largest, 5, _integers(chart))
    scale_w = max(_width(_fmt(t), SMALL) for t in ticks) + 8
    width = _column_width(count, in_slot, scale_w)
    slot = (width - scale_w - PAD) / count
    label_lines = _label_lines(chart.categories, slot - 6)
    left, label_w = scale_w, 0
    if label_lines is None:
        label_w = min(max(_width(c, FONT) for c in chart.categories), ROTATED_LABEL_MAX)
        # A turned label runs down and left from its column: the first needs room.
        left = max(scale_w, label_w * 0.71 - slot / 2 + PAD)
        slot = (width - left - PAD) / count
    gap = min(8, slot * 0.3)
    col_w = min((slot - gap - 2 * (in_slot - 1)) / in_slot, 40)
    return _Columns(
        width=width,
        left=left,
        slot=slot,
        col_w=col_w,
        group_w=in_slot * col_w + 2 * (in_slot - 1),
        across=figure_w <= (col_w + 2 if in_slot > 1 else slot - 2),
        figure_w=figure_w,
        label_lines=label_lines,
        label_w=label_w,
        top=top,
        ticks=ticks,
    )


def _draw_columns(chart):
    layout = _column_layout(chart)
    legend, legend_h = _legend(chart, layout.width, PAD)
    caption_y = PAD + legend_h + 10
    plot_top = caption_y + 4 + (14 if layout.across else layout.figure_w + 6)
    bottom = plot_top + COLUMN_PLOT_HEIGHT

    def height(value):
        return COLUMN_PLOT_HEIGHT * value / layout.top

    parts = [_horizontal_grid(layout.ticks, layout.top, layout.left, layout.width - PAD, bottom)]
    # Turned labels closer than a line apart would overlap: name every other one (or
    # fewer); the columns between keep their names in their tooltips and in the table.
    every = 1 if layout.label_lines else max(1, math.ceil(14 / layout.slot))
    for at, category in enumerate(chart.categories):
        x = layout.left + at * layout.slot + (layout.slot - layout.group_w) / 2
        draw = _stacked_column if chart.stacked else _column_group
        parts.append(draw(chart, at, category, x, layout, bottom, height))
        if at % every == 0:
            lines = layout.label_lines[at] if layout.label_lines else None
            centre = layout.left + at * layout.slot + layout.slot / 2
            parts.append(_category_label(category, lines, centre, bottom))
    parts.append(
        f'<line x1="{_num(layout.left)}" x2="{layout.width - PAD}" y1="{_num(bottom)}" '
        f'y2="{_num(bottom)}" stroke="{AXIS}" class="chart-axis"/>'
    )
    if layout.label_lines:
        label_h = 4 + 14 * max(len(lines) for lines in layout.label_lines)
    else:
        label_h = (layout.label_w + FONT) * 0.71 + 8
    caption = (
        f'<text x="{PAD}" y="{_num(caption_y)}" font-size="{SMALL}" fill="{MUTED}">'
        f"{_e(chart.unit)}</text>"
    )
    body = f"{legend}{caption}{''.join(parts)}"
    return _frame(chart, layout.width, bottom + label_h + PAD, body)


def _column_width(count, in_slot, scale_w):
    """The narrowest drawn width whose columns can each hold an upright figure (12 wide),
    since a narrow drawing reads at life size on a phone; past the widest, wider still in
    steps of 120, since figures must not overlap."""
    least = in_slot * 12 + 2 * (in_slot - 1) + 6
    for width in COLUMN_WIDTHS:
        if (width - scale_w - PAD) / count >= least:
            return width
    return math.ceil((scale_w + PAD + count * least) / 120) * 120


def _horizontal_grid(ticks, top, x_from, x_to, plot_bottom):
    parts = []
    for t in ticks:
        y = plot_bottom - COLUMN_PLOT_HEIGHT * t / top
        if t:
            parts.append(
                f'<line x1="{_num(x_from)}" x2="{_num(x_to)}" y1="{_num(y)}" y2="{_num(y)}" '
                f'stroke="{GRID}" class="chart-grid"/>'
            )
        parts.append(
            f'<text class="chart-scale" x="{_num(x_from - 4)}" y="{_num(y)}" dy="0.35em" '
            f'text-anchor="end" font-size="{SMALL}" fill="{MUTED}">{_fmt(t)}</text>'
        )
    return "".join(parts)


def _column_group(chart, at, category, x, layout, bottom, height):
    """A category's columns side by side, each with its figure above it."""
    parts, col_w = [], layout.col_w
    for index, row in enumerate(chart.values):
        value, col_x, col_h = row[at], x + index * (col_w + 2), height(row[at])
        parts.append(
            f'<rect x="{_num(col_x)}" y="{_num(bottom - col_h)}" width="{_num(col_w)}" '
            f'height="{_num(col_h)}" fill="{_fill(chart, index)}">'
            f"{_tooltip(chart, category, index, value)}</rect>"
        )
        parts.append(_column_figure(col_x + col_w / 2, bottom - col_h, value, layout.across))
    return "".join(parts)


def _column_figure(x, top_y, value, across, bold=False):
    weight = ' class="chart-total" font-weight="bold"' if bold else ' class="chart-value"'
    if across:
        return (
            f'<text x="{_num(x)}" y="{_num(top_y - 4)}" text-anchor="middle" '
            f'font-size="{SMALL}"{weight}>{_fmt(value)}</text>'
        )
    return (
        f'<text x="{_num(x)}" y="{_num(top_y - 4)}" dy="0.35em" font-size="{SMALL}"{weight} '
        f'transform="rotate(-90 {_num(x)} {_num(top_y - 4)})">{_fmt(value)}</text>'
    )


def _stacked_column(chart, at, category, x, layout, bottom, height):
    """A category's parts one on another, each figure inside when it has room, and the
    total above."""
    parts, y, col_w = [], bottom, layout.col_w
    for index in range(len(chart.names)):
        value = chart.values[index][at]
        seg_h = height(value)
        if value:
            y -= seg_h
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(col_w)}" '
                f'height="{_num(seg_h)}" fill="{_fill(chart, index)}">'
                f"{_tooltip(chart, category, index, value)}</rect>"
            )
            parts.append(_inside_label(x + col_w / 2, y + seg_h / 2, value, col_w, seg_h))
    parts.append(_column_figure(x + col_w / 2, y, chart.totals[at], layout.across, bold=True))
    return "".join(parts)


def _label_lines(categories, room):
    """Each label on one line, or on two split at a space, when every one fits `room`
    across; None when some label does not, and the labels are to be turned."""
    shown = []
    for category in categories:
        if _width(category, FONT) <= room:
            shown.append([category])
            continue
        splits = [
            (category[:at].rstrip(), category[at + 1 :].lstrip())
            for at, char in enumerate(category)
            if char == " "
        ]
        best = min(splits, key=lambda pair: max(_width(line, FONT) for line in pair), default=None)
        if best is None or max(_width(line, FONT) for line in best) > room:
            return None
        shown.append(list(best))
    return shown


def _category_label(category, lines, centre, bottom):
    """A label under its slot: across on one or two lines, or turned 45 degrees and cut."""
    if lines:
        spans = "".join(
            f'<tspan x="{_num(centre)}" dy="{"0" if n == 0 else "1.15em"}">{_e(line)}</tspan>'
            for n, line in enumerate(lines)
        )
        return (
            f'<text x="{_num(centre)}" y="{_num(bottom + 14)}" text-anchor="middle" '
            f'font-size="{FONT}">{spans}</text>'
        )
    y = bottom + 10
    return _label(
        category,
        FONT,
        ROTATED_LABEL_MAX,
        x=centre,
        y=y,
        text_anchor="end",
        transform=f"rotate(-45 {_num(centre)} {_num(y)})",
    )
