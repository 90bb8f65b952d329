"""
The parts of the ladder pages that repeat once per level or per expectation, written here
rather than in the templates: the career-path boxes (`career_path_shapes`, with the
"you are here" tag of `career_path_here`), the
overview's lists and table of levels (`level_links`, `level_rows`), the compare page's
level pickers (`level_options`) and compared expectations (`compared_items`,
`dropped_items`), and the level page's expectations with their proficiency, examples and
links (`expectation_items`, `expectation_extras`, also used by the packet and a person's
page) under their categories' groups (`category_sections`, `readiness_sections`). A large
ladder draws a few hundred of each on one page, and the template engine spends about as
long on every value it prints (more on a number, which it localises) as these functions
spend on a whole row.

Each writes the markup its template wrote before, byte for byte, so the pages read the same
(`tests/levels/test_page_speed.py` renders both ways and compares). Every name is escaped
as `{{ }}` escapes it; ladder texts (expectations, summaries) are the Markdown subset of
`pmladder.richtext`, which writes a text with no markup as its words, escaped. Links to
levels are `level.url`, set by the view (`levels.views.level_urls`).
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from levels import careerpath, grouping
from levels.templatetags.richtext import texts, web_links
from pmladder import richtext

register = template.Library()


def esc(value):
    """`value` escaped as `{{ value }}` escapes it (`conditional_escape`, without its
    wrapper for lazy strings, which costs more than the escaping)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(str(value))


# The career path -----------------------------------------------------------------------------

_EDGE = '<path class="cp-edge" d="{}" fill="none"/>'
_LABEL = '<text class="cp-track" x="{}" y="{}">{}</text>'
_NODE = """
    <a href="{url}" class="cp-node{current_class}"
       {current_attr} aria-label="{label}">
      <rect x="{x}" y="{y}" width="{width}" height="{height}" rx="8"/>
      {title}<text class="cp-name{long_class}" x="{cx}" y="{text_y}" text-anchor="middle">{short_name}</text>
      {code}
    </a>
    """  # noqa: E501
_CODE = '<text class="cp-code" x="{}" y="{}" text-anchor="middle">{}</text>'
# A short name on two lines (`careerpath.name_lines`): the lines, and the whole name on hover.
_NAME_LINE = '<tspan x="{}" dy="{}">{}</tspan>'
_TITLE = "<title>{}</title>"
_LINE_HEIGHT = 13


# "You are here": a tag across the bottom edge of the box, drawn over the line below it.
_HERE = """<g class="cp-here-tag" aria-hidden="true">
        <rect x="{x}" y="{y}" width="{width}" height="18" rx="9"/>
        <text x="{cx}" y="{text_y}" text-anchor="middle">{tag}</text>
      </g>
      """
_HERE_HEIGHT = 18
_HERE_CHAR = 6.6  # about the width of a character of the tag's bold 11px type


@register.simple_tag(takes_context=True)
def career_path_here(context, ladder):
    """Who the picture of `ladder` marks (`careerpath.marker`): the person the page is about
    (`career_path_person`), else the signed-in person (`nav_employee`); None."""
    return careerpath.marker(
        ladder, viewer=context.get("nav_employee"), person=context.get("career_path_person")
    )


@register.simple_tag
def career_path_shapes(picture, here=None):
    """The lines, track names and level boxes of a `careerpath.CareerPath`, each box a link
    to its level; with `here` (a `careerpath.Marker`), its level's box tagged."""
    edges = "".join(_EDGE.format(esc(edge)) for edge in picture.edges)
    labels = "".join(_LABEL.format(label.x, label.y, esc(label.text)) for label in picture.labels)
    nodes = "".join(_node(picture, node, here) for node in picture.nodes)
    return mark_safe(f"{edges}\n    {labels}\n    {nodes}")


def _node(picture, node, here=None):
    level = node.level
    code = esc(level.code) if level.code else ""
    label = f"{esc(level.name)} ({code})" if code else esc(level.name)
    marked = here is not None and level.pk == here.level_id
    lines = careerpath.name_lines(level.short_name)
    text_y, code_y, title, long_class = node.text_y, node.code_y, "", ""
    if len(lines) == 1:
        short_name = esc(lines[0])
    else:
        # Two lines, and the code under them: the block moves up to stay inside the box.
        text_y, code_y = (node.y + 16, node.y + 44) if code else (node.y + 22, node.code_y)
        long_class = " cp-name-long"
        short_name = _NAME_LINE.format(node.cx, 0, esc(lines[0])) + _NAME_LINE.format(
            node.cx, _LINE_HEIGHT, esc(lines[1])
        )
        title = _TITLE.format(esc(level.short_name)) + "\n      "
    code_text = _CODE.format(node.cx, code_y, code) if code else ""
    if marked:
        width = min(picture.box_width, round(len(here.tag) * _HERE_CHAR) + 16)
        code_text += _HERE.format(
            x=node.cx - width // 2,
            y=node.y + picture.box_height - _HERE_HEIGHT // 2,
            width=width,
            cx=node.cx,
            text_y=node.y + picture.box_height + 4,
            tag=esc(here.tag),
        )
        label = f"{label}: {esc(here.words)}"
    return _NODE.format(
        url=esc(level.url),
        current_class=(" cp-current" if node.current else "") + (" cp-here" if marked else ""),
        current_attr='aria-current="page"' if node.current else "",
        label=label,
        x=node.x,
        y=node.y,
        width=picture.box_width,
        height=picture.box_height,
        cx=node.cx,
        text_y=text_y,
        short_name=short_name,
        title=title,
        long_class=long_class,
        code=code_text,
    )


def here_words(picture, here):
    """The picture's description: who is where, or "" when nobody is marked on it."""
    if here is None:
        return ""
    for node in picture.nodes:
        if node.level.pk == here.level_id:
            name = f"{node.level.name} ({node.level.code})" if node.level.code else node.level.name
            return f"{here.words}: {name}."
    return ""


register.simple_tag(here_words, name="career_path_here_words")


# The overview ------------------------------------------------------------------------------


@register.simple_tag
def level_links(levels):
    """A list item per level: its short name, linking to its page."""
    return mark_safe(
        "".join(
            f'<li><a href="{esc(level.url)}">{esc(level.short_name)}</a></li>' for level in levels
        )
    )


_ROW = """
        <tr>
          <td class="text-nowrap">{code}</td>
          <th scope="row"><a href="{url}">{name}</a></th>
          <td>{tracks}</td>
          <td class="d-none d-md-table-cell small">{summary}</td>
        </tr>
        """
_TRACK = '<span class="badge text-bg-light border me-1">{}</span>'


@register.simple_tag
def level_rows(levels):
    """A table row per level: its code, name (linking to its page), the tracks it is on
    (`level.on_tracks`) and its summary."""
    return mark_safe(
        "".join(
            _ROW.format(
                code=esc(level.code) if level.code else "—",
                url=esc(level.url),
                name=esc(level.name),
                tracks="".join(_TRACK.format(esc(track.name)) for track in level.on_tracks) or "—",
                summary=richtext.render_inline(level.summary),
            )
            for level in levels
        )
    )


# The compare page ----------------------------------------------------------------------------

_OPTION = '\n      <option value="{}"{}>{}</option>\n      '


@register.simple_tag
def level_options(levels, selected):
    """An option per level, the one whose key is `selected` chosen."""
    return mark_safe(
        "".join(
            _OPTION.format(
                esc(level.key),
                " selected" if level.key == selected else "",
                f"{esc(level.name)} ({esc(level.code)})" if level.code else esc(level.name),
            )
            for level in levels
        )
    )


_BADGES = {
    "new": '<span class="badge badge-new">New</span>',
    "changed": '<span class="badge badge-changed">Changed</span>',
}
# The table's cells and the phones' cards list the same items, laid out a little apart.
_ITEM = {
    "table": """
          <li class="item-{status}">
            {badge}
            {text}
            {was}
          </li>
          """,
    "cards": """
        <li>{badge}
          {text}{was}</li>
        """,
}
_WAS = {
    "table": '<div class="small text-body-secondary">was: {}</div>',
    "cards": '<div class="text-body-secondary">was: {}</div>',
}
_NOTHING = {
    "table": '\n          <li class="text-body-secondary">Nothing listed</li>\n          ',
    "cards": '<li class="text-body-secondary">Nothing listed</li>\n        ',
}


@register.simple_tag
def compared_items(items, layout):
    """The `compare.Item`s of one category of one level, as list items for the "table" or
    the "cards" `layout`."""
    if not items:
        return mark_safe(_NOTHING[layout])
    item_format, was_format = _ITEM[layout], _WAS[layout]
    return mark_safe(
        "".join(
            item_format.format(
                status=esc(item.status),
                badge=_BADGES.get(item.status, ""),
                text=richtext.render_inline(item.text) + _item_extras(item),
                was=_was(item, was_format),
            )
            for item in items
        )
    )


def _item_extras(item):
    """The proficiency, examples and links of the expectation behind a compared item
    (`compare.Item.expectation`), as on the level page."""
    return "" if item.expectation is None else expectation_extras(item.expectation)


def _was(item, was_format):
    """What a changed item was, and where it was when its key moved it to another
    category."""
    if not item.was:
        return ""
    was = richtext.render_inline(item.was)
    if item.moved_from:
        was = f"{was} (under {esc(item.moved_from)})"
    return was_format.format(was)


_DROPPED = """
<details class="dropped mt-2">
  <summary class="small">{count} from {previous} not repeated here</summary>
  <ul class="compare-list small mt-1">{items}</ul>
</details>
"""


@register.simple_tag
def dropped_items(change):
    """What a `compare.CategoryChange` no longer lists from the level before, folded away."""
    if not change.dropped:
        return ""
    return mark_safe(
        _DROPPED.format(
            count=len(change.dropped),
            previous=esc(change.previous.short_name),
            items="".join(
                f'<li class="item-dropped">{richtext.render_inline(text)}</li>'
                for text in change.dropped
            ),
        )
    )


# The level page ------------------------------------------------------------------------------


@register.simple_tag
def category_sections(groups):
    """The level's `CategoryGroup`s under their groups' names (`grouping.by_group`)."""
    return grouping.by_group(groups)


_PROFICIENCY = ' <span class="badge proficiency-badge">Proficiency: {}</span>'
# Up to this many examples are listed open; more are folded under their count.
OPEN_EXAMPLES = 2
_EXAMPLES_OPEN = """
  <div class="expectation-extra expectation-examples">
    <span class="expectation-extra-label">Examples</span>
    <ul>{}</ul>
  </div>"""
_EXAMPLES_FOLDED = """
  <details class="expectation-extra expectation-examples"><summary>Examples ({})</summary>
    <ul>{}</ul>
  </details>"""
_LINKS = """
  <div class="expectation-extra expectation-links">
    <span class="expectation-extra-label">Links</span>
    <ul>{}</ul>
  </div>"""
_LINK = '<li><a href="{}" rel="noopener noreferrer">{}</a></li>'


def expectation_extras(expectation):
    """What an expectation has besides its text: its proficiency as a labelled badge, its
    examples (folded when there are more than `OPEN_EXAMPLES`) and its links, only those
    with an http or https address (`richtext.web_links`)."""
    parts = []
    if expectation.proficiency:
        parts.append(_PROFICIENCY.format(esc(expectation.proficiency)))
    examples = texts(expectation.examples)
    if examples:
        items = "".join(f"<li>{richtext.render_inline(example)}</li>" for example in examples)
        if len(examples) > OPEN_EXAMPLES:
            parts.append(_EXAMPLES_FOLDED.format(len(examples), items))
        else:
            parts.append(_EXAMPLES_OPEN.format(items))
    links = web_links(expectation.links)
    if links:
        items = "".join(_LINK.format(esc(link["url"]), esc(link["title"])) for link in links)
        parts.append(_LINKS.format(items))
    return mark_safe("".join(parts))


register.simple_tag(expectation_extras, name="expectation_extras")


@register.simple_tag
def expectation_items(expectations):
    """A list item per expectation: its text (the Markdown subset) and its extras."""
    return mark_safe(
        "".join(
            f"<li>{richtext.render_inline(expectation.text)}{expectation_extras(expectation)}</li>"
            for expectation in expectations
        )
    )


@register.simple_tag
def readiness_sections(items):
    """A packet's readiness items (each with its `.expectation`) per category, under their
    categories' groups (`grouping.by_group`)."""
    return grouping.by_group(
        grouping.by_category(items, category_of=lambda item: item.expectation.category)
    )
