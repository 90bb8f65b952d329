"""
The career-path picture: the ladder's tracks laid out as lanes of level boxes, the levels
that every track shares drawn once before the fork. `layout()` computes the geometry, wide
(lanes are rows, for screens) or tall (lanes are columns, for phones);
`templates/levels/_career_path.html` draws it as inline SVG (its boxes with the
`career_path_shapes` tag of `levels/templatetags/ladder_pages.py`).

A short name (up to 100 characters) that does not fit its box on one line is wrapped on two
(`name_lines`), cut short with "…" if it needs more; the box then carries the whole short
name as its SVG `<title>` (shown on hover) and keeps the level's full name as its label for
screen readers.

"You are here": the picture marks the level of the person it is about with a text tag on
their box and in its description, never by colour alone (`marker`): on the ladder pages
and on one's own page, the viewer's level ("You are here"); on the page of someone else,
theirs ("Remi is here").
"""

import textwrap
from dataclasses import dataclass

BOX_WIDTH = 150
BOX_HEIGHT = 56
MARGIN = 12
LABEL_SPACE = 22
# Distance between consecutive levels (along a track) and between tracks (across).
WIDE_STEP, WIDE_LANE = BOX_WIDTH + 30, BOX_HEIGHT + 52
TALL_STEP, TALL_LANE = BOX_HEIGHT + 44, BOX_WIDTH + 24


# About as many characters of a box's bold name as fit on one line of the box (14px on one
# line; a name on two lines is drawn at 12px, `.cp-name-long` in static/css/app.css).
NAME_LINE_CHARS = 17


def name_lines(short_name):
    """`short_name` as the one or two lines drawn in a box, the second ending in "…" when
    the name is longer than two lines hold."""
    short_name = " ".join(str(short_name).split())
    if len(short_name) <= NAME_LINE_CHARS:
        return [short_name]
    first = textwrap.wrap(short_name, NAME_LINE_CHARS)[0]  # a prefix: spaces are single
    rest = short_name[len(first) :].strip()
    if len(rest) > NAME_LINE_CHARS:
        rest = rest[: NAME_LINE_CHARS - 1].rstrip() + "…"
    return [first, rest]


@dataclass
class Node:
    level: object
    x: int
    y: int
    current: bool = False

    @property
    def cx(self):
        return self.x + BOX_WIDTH // 2

    @property
    def text_y(self):
        return self.y + 24

    @property
    def code_y(self):
        return self.y + 43


@dataclass
class Label:
    text: str
    x: int
    y: int


@dataclass
class CareerPath:
    nodes: list
    edges: list  # SVG path data, one string per connecting line
    labels: list
    width: int
    height: int
    box_width: int = BOX_WIDTH
    box_height: int = BOX_HEIGHT


@dataclass
class Marker:
    """Where someone is on the picture: their level, the tag drawn on its box and the
    words for screen readers."""

    level_id: int
    tag: str
    words: str


# A first name longer than this is cut short on the tag (the words keep it whole).
TAG_NAME_LENGTH = 14


def marker(ladder, *, viewer=None, person=None):
    """The `Marker` for a picture of `ladder`: `person` (the one a page is about) when they
    are someone other than `viewer`, otherwise `viewer` (the signed-in person); None when
    the one to mark is not on `ladder`."""
    if ladder is None:
        return None
    if person is not None and (viewer is None or person.pk != viewer.pk):
        if person.ladder_id != ladder.pk:
            return None
        first = person.full_name.split()[0] if person.full_name.split() else person.full_name
        if len(first) > TAG_NAME_LENGTH:
            first = first[: TAG_NAME_LENGTH - 1] + "…"
        return Marker(person.level_id, f"{first} is here", f"{person.full_name} is here")
    if viewer is not None and viewer.ladder_id == ladder.pk:
        return Marker(viewer.level_id, "You are here", "You are here")
    return None


def _shared_prefix(paths):
    if len(paths) < 2:
        return []
    prefix = []
    for levels in zip(*(path.levels for path in paths), strict=False):
        if any(level.pk != levels[0].pk for level in levels):
            break
        prefix.append(levels[0])
    return prefix


def _connect(a, b, tall):
    """A line from box a to box b, curving where they sit in different lanes."""
    if tall:
        x1, y1 = a.cx, a.y + BOX_HEIGHT
        x2, y2 = b.cx, b.y
        if x1 == x2:
            return f"M{x1},{y1} V{y2}"
        middle = (y1 + y2) // 2
        return f"M{x1},{y1} C{x1},{middle} {x2},{middle} {x2},{y2}"
    x1, y1 = a.x + BOX_WIDTH, a.y + BOX_HEIGHT // 2
    x2, y2 = b.x, b.y + BOX_HEIGHT // 2
    if y1 == y2:
        return f"M{x1},{y1} H{x2}"
    middle = (x1 + x2) // 2
    return f"M{x1},{y1} C{middle},{y1} {middle},{y2} {x2},{y2}"


def layout(paths, *, current=None, tall=False):
    """Lay out `paths` (`selectors.TrackPath`s); `current` is a level to highlight."""
    paths = [path for path in paths if path.levels]
    if not paths:
        return None
    prefix = _shared_prefix(paths)
    lanes = len(paths)
    step_size, lane_size = (TALL_STEP, TALL_LANE) if tall else (WIDE_STEP, WIDE_LANE)
    top = MARGIN + LABEL_SPACE

    def place(level, step, lane):
        """Lane may be fractional: the shared start sits between the lanes it opens into."""
        along, across = step * step_size, round(lane * lane_size)
        x, y = (MARGIN + across, top + along) if tall else (MARGIN + along, top + across)
        return Node(level, x, y, current is not None and level == current)

    nodes, edges, labels = [], [], []
    previous = None
    for step, level in enumerate(prefix):
        node = place(level, step, (lanes - 1) / 2)
        nodes.append(node)
        if previous:
            edges.append(_connect(previous, node, tall))
        previous = node
    fork = previous
    steps = len(prefix)
    for lane, path in enumerate(paths):
        rest = path.levels[len(prefix) :]
        # Wide: the track's name above its first own level. Tall: a heading over its lane.
        first = place(None, 0 if tall else len(prefix) if rest else max(len(prefix) - 1, 0), lane)
        labels.append(Label(path.track.name, first.x, first.y - 8))
        previous = fork
        for offset, level in enumerate(rest):
            node = place(level, len(prefix) + offset, lane)
            nodes.append(node)
            if previous:
                edges.append(_connect(previous, node, tall))
            previous = node
        steps = max(steps, len(prefix) + len(rest))
    along = (steps - 1) * step_size + (BOX_HEIGHT if tall else BOX_WIDTH)
    across = (lanes - 1) * lane_size + (BOX_WIDTH if tall else BOX_HEIGHT)
    width, height = (across, along) if tall else (along, across)
    return CareerPath(
        nodes=nodes,
        edges=edges,
        labels=labels,
        width=width + 2 * MARGIN,
        height=height + top + MARGIN,
    )


def pictures(paths, *, url, current=None):
    """The picture in both shapes as (picture, variant) pairs, each level given its page's
    address (`url(level.key)`) as `.url`; empty when there are no tracks."""
    for path in paths:
        for level in path.levels:
            level.url = url(level.key)
    wide = layout(paths, current=current)
    if wide is None:
        return []
    return [(wide, "wide"), (layout(paths, current=current, tall=True), "tall")]
