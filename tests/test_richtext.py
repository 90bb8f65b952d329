"""Ladder texts render as a small Markdown subset, and nothing hostile in them reaches a
page (`pmladder.richtext`, and its template filters in `levels/templatetags/richtext.py`)."""

import re

import pytest
from django.template import Context, Template
from django.utils.safestring import SafeString

from pmladder import richtext
from pmladder.richtext import plain, render, render_inline


def test_paragraphs_and_line_breaks():
    assert render("One line\nnext line\n\nAnother paragraph") == (
        "<p>One line<br>\nnext line</p>\n<p>Another paragraph</p>"
    )


def test_lists_emphasis_code_and_links():
    html = render("- *Plan* the **roadmap**\n- Read `logs`\n\n1. [Guide](https://example.com/g)")
    assert "<ul>\n<li><em>Plan</em> the <strong>roadmap</strong></li>" in html
    assert "<li>Read <code>logs</code></li>" in html
    assert (
        '<ol>\n<li><a href="https://example.com/g" rel="noopener noreferrer nofollow">Guide</a>'
        in html
    )


@pytest.mark.parametrize(
    "text",
    ["# Heading", "> quoted", "    indented code", "```\nfenced\n```", "---", "Title\n====="],
)
def test_markdown_outside_the_subset_shows_as_text(text):
    html = render(text)
    assert not re.search(r"<(h\d|blockquote|pre|hr)\b", html)
    assert html.startswith("<p>")


def test_an_image_is_not_drawn():
    html = render("![tracker](https://example.com/pixel.png)")
    assert "<img" not in html


def test_typed_html_shows_as_text():
    assert render_inline("Use <b>bold</b> & <i>care</i>") == (
        "Use &lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;care&lt;/i&gt;"
    )


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](data:image/png;base64,AAAA)",
    '<a href="javascript:alert(1)">x</a>',
    "<div><p><b><i>unclosed <script>alert(1)",
    "<svg onload=alert(1)>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    '[x](https://example.com/" onmouseover="alert(1))',
    '<a href="https://example.com" onclick="alert(1)">x</a>',
    "[x](&#106;avascript:alert(1))",
    '<https://example.com/"onmouseover=alert(1)>',
    "[x](vbscript:msgbox(1))",
    "- <script>alert(1)</script>\n- **<img src=x onerror=alert(1)>**",
]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("renderer", [render, render_inline])
def test_hostile_input_is_neutralised(renderer, text):
    html = renderer(text)
    assert "<script" not in html
    assert "<img" not in html
    assert "<svg" not in html
    assert not re.search(r"<[^>]*\son\w+\s*=", html)  # no event attribute on any tag
    tags = "".join(re.findall(r"<[^>]*>", html))  # typed HTML is text: &lt;a href=...&gt;
    assert not re.search(r'href="(?!https?:|mailto:)', tags)
    assert "javascript:" not in tags.lower()
    # Every tag left is one of the subset's.
    assert set(re.findall(r"</?([a-z0-9]+)", html)) <= richtext.ALLOWED_TAGS


def test_escaped_entities_stay_text():
    assert render_inline("&lt;script&gt;") == "&lt;script&gt;"


def test_links_get_rel_and_only_safe_addresses():
    html = render_inline("[a](https://x.test/) [b](mailto:a@x.test) [c](ftp://x.test/)")
    assert html.count('rel="noopener noreferrer nofollow"') == 3
    assert 'href="https://x.test/"' in html
    assert 'href="mailto:a@x.test"' in html
    assert "ftp:" not in html


@pytest.mark.parametrize("address", ["//elsewhere.example/x", "/admin/", "page.html", "?next=x"])
def test_a_link_without_a_scheme_loses_its_address(address):
    html = render_inline(f"[go]({address})")

    assert "href" not in html
    assert address not in html
    assert "go" in html


def test_inline_drops_the_paragraph_of_a_one_paragraph_text():
    assert render_inline("Ship *often*") == "Ship <em>often</em>"
    assert render_inline("One\n\nTwo") == "<p>One</p>\n<p>Two</p>"
    assert render_inline("- a\n- b").startswith("<ul>")


def test_results_are_safe_strings_and_nothing_gives_nothing():
    assert isinstance(render("x"), SafeString)
    assert isinstance(render_inline("x"), SafeString)
    assert render(None) == render_inline("") == plain(None) == ""
    assert render("  padded  ") == "<p>padded</p>"


@pytest.mark.parametrize(
    "text",
    [
        "Own the roadmap for a product area",
        "It's the team's \"north star\"",
        "Set goals: quarterly, with stakeholders; 100% of them!",
        "Café — naïve façade",
        "  spaces around  ",
        "a  b",
        "2026 was a year",
        "-not a list",
        "Time: 10:00 ~ 12:00 | room 3 = ok",
    ],
)
def test_the_fast_path_renders_as_markdown_does(text):
    stripped = text.strip()
    assert not richtext._needs_markdown(stripped)
    assert render(text) == richtext._clean(richtext._markdown.render(stripped))
    assert render_inline(text) == render(text)[3:-4]
    assert plain(text) == stripped


@pytest.mark.parametrize("text", ["- a list", "+ a list", "1. a list", "3) a list", "a\nb"])
def test_list_starts_and_line_breaks_are_not_taken_for_plain_text(text):
    assert richtext._needs_markdown(text)


def test_plain_text_drops_markup_and_spells_out_links():
    assert plain("Read the [guide](https://example.com/g) *first*") == (
        "Read the guide (https://example.com/g) first"
    )
    assert plain("<https://example.com/>") == "https://example.com/"
    assert plain("- one\n- two\n\nAfter") == "- one\n- two\n\nAfter"
    assert plain("1. one\n2. two") == "1. one\n2. two"
    assert plain("[x](javascript:alert(1))") == "[x](javascript:alert(1))"
    assert plain("[x](data:image/png;base64,AAAA)") == "x"
    assert plain("<b>typed</b>") == "<b>typed</b>"  # text, escaped where it is shown


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://example.com/a", True),
        ("HTTP://example.com", True),
        ("javascript:alert(1)", False),
        ("data:text/html,x", False),
        (" javascript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("//example.com", False),
        ("mailto:a@example.com", False),
    ],
)
def test_safe_url_keeps_only_web_addresses(url, kept):
    assert richtext.safe_url(url) == (url.strip() if kept else "")


def test_template_filters():
    template = Template(
        "{% load richtext %}<div>{{ t|rich }}</div><li>{{ t|rich_inline }}</li>"
        '<option title="{{ t|plain }}">{{ t|plain }}</option><a href="{{ u|safe_url }}">'
    )
    html = template.render(Context({"t": "**Lead** <x>", "u": "javascript:alert(1)"}))
    assert html == (
        "<div><p><strong>Lead</strong> &lt;x&gt;</p></div><li><strong>Lead</strong> &lt;x&gt;</li>"
        '<option title="Lead &lt;x&gt;">Lead &lt;x&gt;</option><a href="">'
    )


def test_renderings_are_cached():
    richtext._block.cache_clear()
    render("*cached* text")
    render("*cached* text")
    assert richtext._block.cache_info().hits == 1
