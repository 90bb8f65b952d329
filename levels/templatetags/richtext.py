"""
Template filters for ladder texts, which accept a small Markdown subset
(`pmladder.richtext` states the subset and how it is made safe):

- `{{ text|rich }}`: block HTML (paragraphs, lists), for a place of its own;
- `{{ text|rich_inline }}`: inside a `<li>`, a table cell or a `<label>`;
- `{{ text|plain }}`: the words without markup, for `<option>`s, `title` attributes,
  the page title and plain-text emails (escaped by the template as any text is);
- `{{ url|safe_url }}`: an address to link to, or "" when it is not http or https.
"""

from django import template

from pmladder import richtext

register = template.Library()

register.filter("rich", richtext.render, is_safe=True)
register.filter("rich_inline", richtext.render_inline, is_safe=True)
register.filter("plain", richtext.plain)
register.filter("safe_url", richtext.safe_url)


@register.filter
def web_links(links):
    """An expectation's links (a JSON list of {"title", "url"}) that a page may link to:
    each as {"title", "url"} with an http or https address (the title falls back to the
    address); anything else in the list left out."""
    kept = []
    for link in links or ():
        if not isinstance(link, dict):
            continue
        url = richtext.safe_url(link.get("url"))
        if url:
            title = str(link.get("title") or "").strip()
            kept.append({"title": title or url, "url": url})
    return kept


@register.filter
def texts(values):
    """The texts of a JSON list (an expectation's examples), blanks and non-texts left out."""
    return [value for value in values or () if isinstance(value, str) and value.strip()]
