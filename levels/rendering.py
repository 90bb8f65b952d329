"""Widgets drawn without the template engine. The ladder and level admin pages hold
hundreds of boxes; drawn one template at a time, they are most of the page's time. This
renderer writes the markup of Django's own widget templates for the plain widgets
(inputs, text areas, selects) and of empty error lists directly, and leaves every other
template to Django.
`tests/levels/test_admin_rendering.py` checks that the markup is Django's, byte for byte."""

import html

from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.functional import Promise

WIDGETS = "django/forms/widgets/"
# Widget templates that are `{% include "django/forms/widgets/input.html" %}` and a
# line break.
INPUTS = {
    f"{WIDGETS}{name}.html"
    for name in ("text", "number", "hidden", "checkbox", "email", "url", "password", "search")
}


def _escaped(value):
    """`conditional_escape(value)`, without its check for lazy arguments on every call."""
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def _shown(value):
    """A value as `{{ value }}` prints it."""
    value = localize(value)
    return _escaped(value if isinstance(value, str) else str(value))


def _attrs(attrs):
    return "".join(
        f" {_escaped(name)}" if value is True else f' {_escaped(name)}="{_escaped(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget):
    value = widget["value"]
    shown = "" if value is None else f' value="{_escaped(value)}"'
    return (
        f'<input type="{_escaped(widget["type"])}" name="{_escaped(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>\n"
    )


def _textarea(widget):
    value = widget["value"]
    return (
        f'<textarea name="{_escaped(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{_shown(value) if value else ''}</textarea>\n"
    )


def _option(widget):
    return (
        f'<option value="{_escaped(widget["value"])}"{_attrs(widget["attrs"])}>'
        f"{_shown(widget['label'])}</option>\n"
    )


class PlainWidgetRenderer(DjangoTemplates):
    """Django's form renderer, with the plain widgets written in Python."""

    def render(self, template_name, context, request=None):
        if template_name in ERROR_LISTS and not context.get("errors"):
            return ""  # an empty error list draws nothing, and every box has one
        draw = DRAWN.get(template_name)
        widget = context.get("widget")
        if draw is None or (draw is _select and not _plain_options(widget)):
            return super().render(template_name, context, request)
        # Django strips what a widget template renders (its includes keep their breaks).
        return draw(widget).strip()


def _select(widget):
    parts = [f'<select name="{_escaped(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _ in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in group_choices:
            parts.append("\n  ")
            parts.append(_option(option))
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>\n")
    return "".join(parts)


def _plain_options(widget):
    return all(
        option["template_name"] == OPTION
        for _, group_choices, _ in widget["optgroups"]
        for option in group_choices
    )


OPTION = f"{WIDGETS}select_option.html"
ERROR_LISTS = {"django/forms/errors/list/default.html", "django/forms/errors/list/ul.html"}
DRAWN = {
    **dict.fromkeys(INPUTS, _input),
    f"{WIDGETS}input.html": _input,
    f"{WIDGETS}textarea.html": _textarea,
    f"{WIDGETS}select.html": _select,
    OPTION: _option,
}

plain_widgets = PlainWidgetRenderer()


class PlainRelatedWidgetWrapper(RelatedFieldWidgetWrapper):
    """The admin's picker with its add, change and view links, drawing the picker inside
    with the renderer of its form (Django's wrapper always uses the default renderer)."""

    def render(self, name, value, attrs=None, renderer=None):
        self.inner_renderer = renderer
        return super().render(name, value, attrs, renderer)

    def get_context(self, name, value, attrs):
        widget = self.widget
        self.widget = _DrawnWith(widget, getattr(self, "inner_renderer", None))
        try:
            return super().get_context(name, value, attrs)
        finally:
            self.widget = widget


class _DrawnWith:
    """A widget whose `render` uses `renderer`, for the wrapper's `get_context`."""

    def __init__(self, widget, renderer):
        self.widget, self.renderer = widget, renderer

    @property
    def is_hidden(self):
        return self.widget.is_hidden

    def render(self, name, value, attrs=None):
        return self.widget.render(name, value, attrs, self.renderer)


def draw_plainly(formfield):
    """Let the admin's picker around `formfield`'s widget, if any, draw its picker with
    the form's renderer."""
    if formfield is not None and type(formfield.widget) is RelatedFieldWidgetWrapper:
        formfield.widget.__class__ = PlainRelatedWidgetWrapper
    return formfield
