"""
What the simulated people of the load test do with pages as a browser would: read a
page's forms and the values they would send, and keep the session's cookies. Apart from
the locustfile, with no dependency on locust, so the app's tests can check it against the
real forms.
"""

import re
from html.parser import HTMLParser


class _FormReader(HTMLParser):
    """The forms of a page: their action and the values a browser would send as they stand
    (checked boxes, selected options, text areas), with each select's options."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._select = None
        self._option = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "fields": {}, "options": {}})
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                form["options"].setdefault(name, []).append(attrs.get("value", "on"))
                if "checked" in attrs:
                    form["fields"][name] = attrs.get("value", "on")
                return
            form["fields"][name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            form["options"][name] = []
            form["fields"].setdefault(name, None)
        elif tag == "option" and self._select:
            value = attrs.get("value")
            self._option = [value, "selected" in attrs, ""]
        elif tag == "textarea" and name:
            self._textarea = name
            form["fields"][name] = ""

    def handle_data(self, data):
        if self._option is not None:
            self._option[2] += data
        elif self._textarea is not None:
            self.forms[-1]["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            value, selected, text = self._option
            value = text.strip() if value is None else value
            form = self.forms[-1]
            form["options"][self._select].append(value)
            if selected or form["fields"][self._select] is None:
                form["fields"][self._select] = value
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            value = self.forms[-1]["fields"][self._textarea]
            self.forms[-1]["fields"][self._textarea] = value.removeprefix("\n")
            self._textarea = None


def form_with(page, field):
    """The form of `page` (HTML) that has a field named `field`, or None."""
    reader = _FormReader()
    reader.feed(page)
    for form in reader.forms:
        if field in form["fields"] or field in form["options"]:
            form["fields"] = {k: v for k, v in form["fields"].items() if v is not None}
            return form
    return None


def send_secure_cookies_over_loopback(jar):
    """Let the `Secure` cookies go back to the server on this machine over plain HTTP, as
    browsers do for 127.0.0.1 and localhost: the app marks its session and CSRF cookies
    Secure when DEBUG is off, and the load runs without TLS. (The HTTP client would
    otherwise keep them to itself, whatever cookie policy it is given.)"""
    for cookie in jar:
        if cookie.secure and cookie.domain.lstrip(".") in {"127.0.0.1", "localhost"}:
            cookie.secure = False


def problem_on(response):
    """What went wrong, in a line: the connection's error, or the page's title and first
    error message."""
    if response.status_code == 0:
        return repr(response.error)[:300]
    page = response.text
    title = re.search(r"<title>(.*?)</title>", page or "", re.S)
    error = re.search(
        r'class="[^"]*(?:invalid-feedback|alert-danger|errorlist)[^"]*"[^>]*>(.*?)<',
        page or "",
        re.S,
    )
    parts = [title and title.group(1).strip(), error and error.group(1).strip()]
    return " / ".join(part for part in parts if part)[:300] or "(no page)"
