"""
Ladder texts (expectations, examples, summaries, next steps, descriptions, FAQ answers...)
accept a small Markdown subset, and this is the one place that turns them into HTML.

The subset: paragraphs, a single line break kept as a line break, bullet and numbered
lists, *emphasis*, **strong**, `code` and [links](https://example.com). Everything else
Markdown knows (headings, quotes, code blocks, rules, images, raw HTML) is switched off and
shows as the text that was typed. The HTML that Markdown writes is then cleaned against an
allow-list (`ALLOWED_TAGS`; a link keeps only its address, and only a whole http, https
or mailto one), so nothing a ladder file or the admin holds can put a script, an event
attribute or a `javascript:` link on a page: HTML typed in a text shows as text.

- `render(text)`: block HTML, for a place of its own (a `<div>`, a card).
- `render_inline(text)`: for a place inside a `<li>`, a table cell or a `<label>`: a text of
  one paragraph without its `<p>`; a text of several paragraphs or a list as `render`.
- `plain(text)`: the text without its markup, for `<option>`s, `title` attributes, CSV
  files, emails and the page title; a link reads "title (address)".

Ladder pages show hundreds of texts, most of them plain words: a text with nothing Markdown
reads (`_needs_markdown`) skips the parser, and whole renderings are cached (`CACHE_SIZE`).
"""

import re
from functools import lru_cache
from html import escape
from urllib.parse import urlsplit

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset({"p", "br", "ul", "ol", "li", "em", "strong", "a", "code"})
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# Renderings kept, block and inline each: a ladder of a few hundred expectations and its
# other texts, several times over.
CACHE_SIZE = 4096

_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True}).disable(
    [
        "heading",
        "lheading",
        "code",
        "fence",
        "blockquote",
        "hr",
        "reference",
        "html_block",
        "image",
        "html_inline",
    ]
)

# Characters Markdown may read as markup, and a list item's start: a text with none of them
# (and no character that the cleaner writes as an entity) renders as itself in a paragraph.
_MARKUP = re.compile(r"[*_\[\]()<>&\\`#\x00-\x1f\x7f\xa0]")
_LIST_START = re.compile(r"\s*(?:[-+]|\d{1,9}[.)])(?:\s|$)")


def _needs_markdown(text):
    return bool(_MARKUP.search(text) or _LIST_START.match(text))


def _clean(html):
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        # A link without a scheme (`/page`, `//elsewhere.example`) loses its address: a
        # ladder text links to whole http, https or mailto addresses only.
        url_relative="deny",
        strip_comments=True,
    ).strip()


@lru_cache(maxsize=CACHE_SIZE)
def _block(text):
    if not _needs_markdown(text):
        return f"<p>{escape(text, quote=False)}</p>"
    return _clean(_markdown.render(text))


@lru_cache(maxsize=CACHE_SIZE)
def _inline(text):
    if not _needs_markdown(text):
        return escape(text, quote=False)
    html = _block(text)
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html


def _text(value):
    if value is None:
        return ""
    return str(value).strip()


def render(text) -> SafeString:
    """`text` as block HTML: paragraphs, lists, line breaks; "" for no text."""
    text = _text(text)
    return mark_safe(_block(text) if text else "")


def render_inline(text) -> SafeString:
    """`text` as HTML for inside an element: one paragraph without its `<p>`."""
    text = _text(text)
    return mark_safe(_inline(text) if text else "")


# What a link written from data (an expectation's links) may point at; the one rule, which
# the ladder file checker and the admin apply too (`levels.rules.link_problem`).
WEB_SCHEMES = ("http", "https")


def safe_url(url):
    """`url` when it is a whole http or https address (a scheme, a host, and no spaces or
    control characters), otherwise ""."""
    url = _text(url)
    if _CONTROL.search(url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed [ in the host
        return ""
    return url if parts.scheme.lower() in WEB_SCHEMES and parts.netloc else ""


_CONTROL = re.compile(r"[\x00-\x20\x7f]")


@lru_cache(maxsize=CACHE_SIZE)
def _plain(text):
    if not _needs_markdown(text):
        return text
    text_out = ""
    previous_in_list = False
    for line, in_list in _plain_lines(_markdown.parse(text)):
        if text_out:
            text_out += "\n" if in_list and previous_in_list else "\n\n"
        text_out += line
        previous_in_list = in_list
    return text_out


def _plain_lines(tokens):
    """(line, in a list) for each paragraph or list item of a parsed text."""
    lines = []
    lists = []  # for each open list: the number of its next item, or None when bulleted
    prefix = ""
    for token in tokens:
        if token.type == "bullet_list_open":
            lists.append(None)
        elif token.type == "ordered_list_open":
            lists.append(int(token.attrGet("start") or 1))
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "list_item_open":
            number = lists[-1]
            prefix = "- " if number is None else f"{number}. "
            if number is not None:
                lists[-1] = number + 1
        elif token.type == "inline":
            indent = "  " * max(len(lists) - 1, 0)
            lines.append(
                (
                    indent
                    + (prefix or ("  " if lists else ""))
                    + _plain_inline(token.children or []),
                    bool(lists),
                )
            )
            prefix = ""
    return lines


def _plain_inline(children):
    parts = []
    links = []  # (address, index in parts where the link's words start)
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "link_open":
            links.append((str(child.attrGet("href") or ""), len(parts)))
        elif child.type == "link_close" and links:
            href, start = links.pop()
            words = "".join(parts[start:])
            address = href.removeprefix("mailto:")
            if href.partition(":")[0].lower() in URL_SCHEMES and address != words:
                parts.append(f" ({address})")
    return "".join(parts)


def plain(text) -> str:
    """`text` without its markup (not escaped: for places that escape it themselves)."""
    text = _text(text)
    return _plain(text) if text else ""
