"""Widgets and table rows drawn without the template engine. The ladder and level admin
pages hold hundreds of boxes in the rows of their lists; drawn one template at a time,
they are most of the page's time. This module writes the markup of Django's own
templates directly for the plain widgets (inputs, text areas, selects), labels, the
admin's picker of a related object, forms of hidden boxes only (a list's management
form), empty error lists, the forms of tabular and stacked inlines
(`admin/edit_inline/tabular.html`, `stacked.html`) and the field sets of a change page
(`admin/includes/fieldset.html`), and leaves every other template to Django.
`tests/levels/test_admin_rendering.py` checks that the markup is Django's, byte for byte."""

import functools
import html
import re

from django.contrib.admin.helpers import (
    AdminForm,
    AdminReadonlyField,
    Fieldset,
    InlineAdminFormSet,
)
from django.contrib.admin.templatetags.admin_modify import cell_count
from django.contrib.admin.utils import quote
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.forms import Field, ModelChoiceField, Select
from django.forms.formsets import DELETION_FIELD_NAME
from django.forms.renderers import DjangoTemplates
from django.template.defaultfilters import capfirst, striptags
from django.templatetags.static import static
from django.urls import reverse
from django.utils.choices import BaseChoiceIterator
from django.utils.formats import localize
from django.utils.functional import Promise
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

# Widgets ---------------------------------------------------------------------------

WIDGETS = "django/forms/widgets/"
# Widget templates that are `{% include "django/forms/widgets/input.html" %}` and a
# line break.
INPUTS = {
    f"{WIDGETS}{name}.html"
    for name in ("text", "number", "hidden", "checkbox", "email", "url", "password", "search")
}


def _escaped(value):
    """`conditional_escape(value)`, without its check for lazy arguments on every call."""
    if type(value) is str:  # most of them, and most with nothing to escape
        return html.escape(value) if _SPECIAL(value) else value
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


_SPECIAL = re.compile("[&<>\"']").search


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
    """Django's form renderer, with the plain widgets, labels, the admin's related-object
    picker and forms of hidden boxes written in Python."""

    def render(self, template_name, context, request=None):
        if template_name in ERROR_LISTS and not context.get("errors"):
            return ""  # an empty error list draws nothing, and every box has one
        if template_name == FORM and not context["fields"] and not context["errors"]:
            # A form of hidden boxes only, as the management form of every list.
            return "".join(str(field) for field in context["hidden_fields"]).strip()
        if template_name == RELATED:
            return _related(context)
        if template_name == LABEL:
            return _label(context)
        draw = DRAWN.get(template_name)
        widget = context.get("widget")
        if draw is None or (draw is _select and not _plain_options(widget)):
            return super().render(template_name, context, request)
        # Django strips what a widget template renders (its includes keep their breaks).
        return draw(widget).strip()


def _select(widget):
    options = widget["optgroups"]
    if isinstance(options, SharedOptions):
        return (
            f'<select name="{_escaped(widget["name"])}"{_attrs(widget["attrs"])}>'
            f"{options.drawn()}\n</select>\n"
        )
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


def _label(context):
    """A field's label (`django/forms/label.html`): in a tag when the box has an id."""
    label = _shown(context["label"])
    if not context["use_tag"]:
        return label
    tag = _escaped(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{label}</{tag}>"


def _related(context):
    """The admin's picker of a related object with its change, add, delete and view
    links (`admin/widgets/related_widget_wrapper.html`, whose links are `spaceless`)."""
    limited = context["model_has_limit_choices_to"]
    model_ref = "" if limited else f'data-model-ref="{_escaped(context["model_name"])}"'
    links = []
    if not context["is_hidden"]:
        name, model = _escaped(context["name"]), _shown(context["model"])
        for kind, title, url_key, params_key, between in RELATED_LINKS:
            if context[f"can_{kind}_related"]:
                url = f"{_escaped(context[url_key])}?{_escaped(context[params_key])}"
                icon = _escaped(static(f"admin/img/icon-{kind}link.svg"))
                links.append(
                    f'<a class="related-widget-wrapper-link {kind}-related" id="{kind}_id_{name}"'
                    f'{between.format(url=url)}title="{_link_title(title, model)}">'
                    f'<img src="{icon}" alt="" width="24" height="24"></a>'
                )
    return (
        f'<div class="related-widget-wrapper" {model_ref}>\n    {context["rendered_widget"]}'
        f"\n    \n        {''.join(links)}\n    \n</div>"
    )


def _link_title(title, model):
    """A link's title in the language in use, worked out once per page's rows."""
    return _title_in(get_language(), title, model)


@functools.lru_cache(maxsize=512)
def _title_in(language, title, model):
    return gettext(title) % {"model": model}


# Each link: its kind, title, the context's keys of its address and its parameters, and
# what the template writes between its id and its title.
_HREF_TEMPLATE = (
    '\n            data-href-template="{url}"\n            data-popup="yes"\n            '
)
RELATED_LINKS = [
    (
        "change",
        "Change selected %(model)s",
        "change_related_template_url",
        "url_params",
        _HREF_TEMPLATE,
    ),
    (
        "add",
        "Add another %(model)s",
        "add_related_url",
        "url_params",
        '\n            data-popup="yes"\n            href="{url}"\n            ',
    ),
    (
        "delete",
        "Delete selected %(model)s",
        "delete_related_template_url",
        "url_params",
        _HREF_TEMPLATE,
    ),
    (
        "view",
        "View selected %(model)s",
        "change_related_template_url",
        "view_related_url_params",
        '\n             data-href-template="{url}"\n             ',
    ),
]


def _plain_options(widget):
    if isinstance(widget["optgroups"], SharedOptions):
        return True  # a plain picker's own options, by construction
    return all(
        option["template_name"] == OPTION
        for _, group_choices, _ in widget["optgroups"]
        for option in group_choices
    )


OPTION = f"{WIDGETS}select_option.html"
FORM = "django/forms/div.html"
RELATED = "admin/widgets/related_widget_wrapper.html"
LABEL = "django/forms/label.html"
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

    def get_related_url(self, info, action, *args):
        # The same few addresses for every row's picker: found once for the form field
        # and its copies, which share `related_urls` (set by `draw_plainly`).
        urls = self.__dict__.get("related_urls")
        if urls is None:
            return super().get_related_url(info, action, *args)
        key = (info, action, args)
        if key not in urls:
            urls[key] = super().get_related_url(info, action, *args)
        return urls[key]

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
        formfield.widget.related_urls = {}  # shared by the field's copies in each row
    return formfield


# Pickers shared by the rows of a list -------------------------------------------


class SharedChoices(BaseChoiceIterator):
    """A picker's choices (value, label), read once for a page and shared by the picker
    of every row of its list, with each option drawn once for them all. A list of 60
    rows with 60 choices each would otherwise check the choices again for every row
    (Django normalises a list of choices each time a form copies its fields) and draw
    3,600 options one by one.

    Copies of a field share this object (Django copies choices with `copy.copy`, which
    keeps `drawn_options`, a dictionary, shared)."""

    def __init__(self, choices):
        self.choices = list(iter(choices))  # list() alone would count them first
        self.drawn_options = {}

    def __iter__(self):
        return iter(self.choices)

    def __len__(self):
        return len(self.choices)

    def __bool__(self):
        return bool(self.choices)

    def options(self):
        """Each option's value as the picker compares it, and its markup unselected and
        selected, as `_option` draws it; drawn at the first call."""
        drawn = self.drawn_options.get("options")
        if drawn is None:
            drawn = self.drawn_options["options"] = [
                (
                    value,
                    f'\n  <option value="{_escaped(value)}">{_shown(label)}</option>\n',
                    f'\n  <option value="{_escaped(value)}" selected>{_shown(label)}</option>\n',
                )
                for value, label in (
                    ("" if value is None else str(value), label) for value, label in self.choices
                )
            ]
        return drawn


class SharedOptions:
    """A picker's options as `ChoiceWidget.optgroups` lists them, worked out only if a
    template reads them: `_select` draws them from `SharedChoices.options` instead."""

    def __init__(self, widget, name, value, attrs):
        self.widget, self.name, self.value, self.attrs = widget, name, value, attrs

    def __iter__(self):
        return iter(Select.optgroups(self.widget, self.name, self.value, self.attrs))

    def drawn(self):
        """The options' markup, the first one whose value is among the selected values
        selected (a picker of one value, as `optgroups` selects)."""
        value, parts, selected = self.value, [], False
        for option_value, unselected, chosen in self.widget.choices.options():
            if not selected and option_value in value:
                selected = True
                parts.append(chosen)
            else:
                parts.append(unselected)
        return "".join(parts)


class SharedChoicesSelect(Select):
    """A picker of one value whose options come from `SharedChoices`."""

    def optgroups(self, name, value, attrs=None):
        if isinstance(self.choices, SharedChoices) and not self.allow_multiple_selected:
            return SharedOptions(self, name, value, attrs)
        return super().optgroups(name, value, attrs)


class SharedChoicesField(ModelChoiceField):
    """A foreign key's picker whose choices, once set as `SharedChoices`, are shared by
    every copy of the field: a form's copy keeps the queryset too (Django makes a new
    one for each copy, so that each reads its own choices)."""

    widget = SharedChoicesSelect

    def __deepcopy__(self, memo):
        if not isinstance(getattr(self, "_choices", None), SharedChoices):
            return super().__deepcopy__(memo)
        return Field.__deepcopy__(self, memo)  # the widget's copy shares the choices

    def share_choices(self):
        """Read the choices now, once, for every copy of this field."""
        self.choices = SharedChoices(self.choices)


# Inline lists ----------------------------------------------------------------------


class DrawnRowsFormSet(InlineAdminFormSet):
    """The admin's wrapper of an inline formset, with its forms drawn in Python:
    `admin/levels/edit_inline/tabular.html` prints `rows` and `stacked.html` prints
    `stacked_rows` where Django's templates loop over the forms."""

    @property
    def media(self):
        # Django adds up the media of every row, hundreds of times the same: the rows
        # of each kind are forms of one class with the same boxes, and adding the same
        # media again changes nothing.
        media = self.opts.media + self.formset.media
        for form in self._kinds_of_row():
            media += form.media
        return media

    def _kinds_of_row(self):
        """A saved row, a new row and the empty form, those the list has."""
        formset = self.formset
        yield from formset.initial_forms[:1]
        yield from formset.extra_forms[:1]
        if self.has_add_permission:
            yield formset.empty_form

    def headings(self):
        """The column headings of Django's tabular inline template, as it renders them."""
        return mark_safe("".join(_heading(field) for field in self.fields()))

    def rows(self):
        """The `<tbody>` of Django's tabular inline template, as it renders it."""
        return mark_safe(f"<tbody>\n     {self._each_form(_row)}\n     </tbody>")

    def stacked_rows(self):
        """The forms of Django's stacked inline template, as it renders them."""
        return mark_safe(self._each_form(_stacked_row))

    def _each_form(self, draw):
        forms = list(self)
        last = len(forms) - 1
        return "".join(
            draw(self, inline_form, index, index == last and self.has_add_permission)
            for index, inline_form in enumerate(forms)
        )


def _heading(field):
    """A column's heading: its label, and its help as a tooltip."""
    widget = field["widget"]
    hidden = widget["is_hidden"] if isinstance(widget, dict) else widget.is_hidden
    classes = (" required" if field["required"] else "") + (" hidden" if hidden else "")
    help_text = field["help_text"]
    tip = ""
    if help_text:
        text = _escaped(striptags(help_text))  # Django's filters keep safe text safe
        tip = (
            f'<img src="{_escaped(static("admin/img/icon-unknown.svg"))}" '
            f'class="help help-tooltip" width="10" height="10" alt="({text})" title="{text}">'
        )
    return (
        f'\n       <th class="column-{_escaped(field["name"])}{classes}">'
        f"{_escaped(capfirst(field['label']))}\n       {tip}\n       </th>\n     "
    )


def _row(formset, inline_form, index, empty):
    """One form of a tabular inline, as one pass of `admin/edit_inline/tabular.html`'s
    loop draws it."""
    form, original = inline_form.form, inline_form.original
    errors = form.non_field_errors()
    parts = ["\n        "]
    if errors:
        parts.append(
            f'\n        <tr class="row-form-errors"><td colspan="{cell_count(inline_form)}">'
            f"{errors}</td></tr>\n        "
        )
    has_original = "has_original" if original or inline_form.show_url else ""
    parts.append(
        f'\n        <tr class="form-row {has_original}{" empty-form" if empty else ""}"\n'
        f'             id="{_escaped(formset.formset.prefix)}-{"empty" if empty else index}">\n'
        f'        <td class="original">\n          {_original(formset, inline_form)}\n          '
    )
    if inline_form.needs_explicit_pk_field():
        parts.append(str(form[formset.formset._pk_field.name]))
    parts.append("\n          ")
    fk = getattr(formset.formset, "fk", None)
    if fk:
        parts.append(str(form[fk.name]))
    parts.append("\n        </td>\n        ")
    for _, options in inline_form.fieldsets:
        parts.append("\n          ")
        for line in options.get("fields", ()):
            if fk and fk.name == line:
                continue
            parts.append("\n            ")
            names = [line] if isinstance(line, str) or not hasattr(line, "__iter__") else line
            for position, name in enumerate(names):
                parts.append(_cell(inline_form, name, position == 0))
            parts.append("\n          ")
        parts.append("\n        ")
    deletes = formset.formset.can_delete and formset.has_delete_permission and original
    delete = str(form[DELETION_FIELD_NAME]) if deletes else ""
    parts.append(f'\n        <td class="delete">{delete}</td>\n        </tr>\n     ')
    return "".join(parts)


def _original(formset, inline_form):
    """The first cell's paragraph: the row's name, its change link and its link to the
    site."""
    original = inline_form.original
    if not (original or inline_form.show_url):
        return ""
    parts = ["<p>\n          "]
    if original:
        parts.append(f"\n          {_shown(original)}\n          ")
        parts.append(_change_link(formset, inline_form))
        parts.append("\n          ")
    parts.append("\n          ")
    if inline_form.show_url:
        parts.append(_site_link(inline_form))
    parts.append("\n            </p>")
    return "".join(parts)


def _change_link(formset, inline_form, before=""):
    """The link to the row's own change page, if its admin shows one."""
    admin = inline_form.model_admin
    if not (admin.show_change_link and admin.has_registered_model):
        return ""
    opts = admin.opts
    url = reverse(
        f"admin:{opts.app_label}_{opts.model_name}_change",
        args=[quote(inline_form.original.pk)],
        current_app=admin.admin_site.name,
    )
    if formset.has_change_permission:
        kind, text = "inlinechangelink", gettext("Change")
    else:
        kind, text = "inlineviewlink", gettext("View")
    return f'{before}<a href="{_escaped(url)}" class="{kind}">{_escaped(text)}</a>'


def _site_link(inline_form):
    return f'<a href="{_escaped(inline_form.absolute_url)}">{_escaped(gettext("View on site"))}</a>'


def _cell(inline_form, name, first):
    """A field's cell: its errors and box, or its value when it is read-only."""
    form = inline_form.form
    if name in inline_form.readonly_fields:
        field = AdminReadonlyField(form, name, is_first=first, model_admin=inline_form.model_admin)
        label, hidden = field.field["name"], field.field["is_hidden"]
        content = f"\n                  <p>{field.contents()}</p>\n              "
    else:
        bound = form[name]
        label, hidden = bound.name, bound.is_hidden
        # A box with no errors has an empty list, which draws nothing.
        errors = bound.errors.as_ul() if form.errors.get(name) else ""
        content = f"\n                  {errors}\n                  {bound}\n              "
    css = (f"field-{_escaped(label)}" if label else "") + (" hidden" if hidden else "")
    return (
        f'\n              <td class="{css}">\n              {content}'
        "\n              </td>\n            "
    )


def _stacked_row(formset, inline_form, index, empty):
    """One form of a stacked inline, as one pass of `admin/edit_inline/stacked.html`'s
    loop draws it."""
    form, original = inline_form.form, inline_form.original
    prefix = _escaped(formset.formset.prefix)
    classes = (" has_original" if original or inline_form.show_url else "") + (
        " empty-form last-related" if empty else ""
    )
    parts = [
        f'<div class="inline-related{classes}" id="{prefix}-{"empty" if empty else index}">'
        f"\n  <h3><b>{_escaped(capfirst(formset.opts.verbose_name))}:</b> "
        '<span class="inline_label">'
    ]
    if original:
        parts.append(f"{_shown(original)}{_change_link(formset, inline_form, ' ')}\n")
    else:
        parts.append(f"#{index + 1}")
    parts.append("</span>\n      ")
    if inline_form.show_url:
        parts.append(_site_link(inline_form))
    parts.append("\n    ")
    if formset.formset.can_delete and formset.has_delete_permission and original:
        delete = inline_form.deletion_field()
        parts.append(f'<span class="delete">{delete.field} {delete.label_tag()}</span>')
    parts.append("\n  </h3>\n  ")
    errors = form.non_field_errors()
    if errors:
        parts.append(str(errors))
    parts.append("\n\n  \n    ")
    for position, fieldset in enumerate(inline_form):
        drawn = draw_fieldset(fieldset, 4, fieldset.formset.prefix, index, position)
        parts.append(f"\n      {drawn}\n    ")
    parts.append("\n  \n\n  ")
    if inline_form.needs_explicit_pk_field():
        parts.append(str(form[formset.formset._pk_field.name]))
    parts.append("\n  ")
    fk = getattr(formset.formset, "fk", None)
    if fk:
        parts.append(str(form[fk.name]))
    parts.append("\n</div>")
    return "".join(parts)


# Field sets ------------------------------------------------------------------------


class DrawnAdminForm(AdminForm):
    """The admin's wrapper of a change page's form, whose field sets draw themselves
    (`drawn`) as `admin/includes/fieldset.html` draws them on that page."""

    def __iter__(self):
        for index, (name, options) in enumerate(self.fieldsets):
            yield DrawnFieldset(
                self.form,
                name,
                readonly_fields=self.readonly_fields,
                model_admin=self.model_admin,
                heading=(2, "fieldset", 0, index),
                **options,
            )


class DrawnFieldset(Fieldset):
    """A field set of a change page that draws itself; `heading` holds the arguments the
    page gives `fieldset.html`."""

    def __init__(self, *args, heading, **kwargs):
        super().__init__(*args, **kwargs)
        self.heading = heading

    def drawn(self):
        return mark_safe(draw_fieldset(self, *self.heading))


def draw_fieldset(fieldset, heading_level, prefix, id_prefix, id_suffix):
    """A field set (Django's `helpers.Fieldset`) as `admin/includes/fieldset.html` draws
    it with those arguments."""
    heading = f"{_escaped(prefix)}-{_shown(id_prefix)}-{_shown(id_suffix)}-heading"
    name = fieldset.name
    parts = [f'<fieldset class="module aligned {_escaped(fieldset.classes)}"']
    if name:
        parts.append(f' aria-labelledby="{heading}"')
    parts.append(">\n    ")
    if name:
        level = _shown(heading_level or 2)
        details, summary = (
            ("<details><summary>", "</summary>") if fieldset.is_collapsible else ("", "")
        )
        parts.append(
            f'\n        {details}\n        <h{level} id="{heading}" class="fieldset-heading">'
            f"{_shown(name)}</h{level}>\n        {summary}\n    "
        )
    parts.append("\n    ")
    if fieldset.description:
        parts.append(f'\n        <div class="description">{fieldset.description}</div>\n    ')
    parts.append("\n    ")
    for line in fieldset:
        parts.append(_form_row(line))
    parts.append("\n    ")
    if name and fieldset.is_collapsible:
        parts.append("</details>")
    parts.append("\n</fieldset>\n")
    return "".join(parts)


def _form_row(line):
    """A line of a field set (Django's `helpers.Fieldline`): one field or several."""
    fields = list(line)
    single = len(line.fields) == 1
    classes = "" if single else " flex-container form-multiline"
    if not line.has_visible_field:
        classes += " hidden"
    for field in fields:
        name = _name(field)
        if name:
            classes += f" field-{_escaped(name)}"
    parts = [f'\n        <div class="form-row{classes}">\n            ']
    line_errors = line.errors() if single else ""
    for field in fields:
        parts.append(_field_box(field, single, line_errors))
    parts.append("\n        </div>\n    ")
    return "".join(parts)


def _field_box(field, single, line_errors):
    """One field of a line: its label, box or value, help and errors."""
    bound = field.field  # a bound field, or a dict for a read-only field
    readonly = field.is_readonly
    name = _name(field)
    fieldset = getattr(field, "is_fieldset", False)
    help_text = bound["help_text"] if readonly else bound.help_text
    id_for_label = "" if readonly else bound.id_for_label
    hidden = bound["is_hidden"] if readonly else bound.is_hidden
    errors = "" if readonly else field.errors()
    parts = ["\n                "]
    if fieldset:
        described = f' aria-describedby="{_shown(id_for_label)}_helptext"' if help_text else ""
        parts.append(f"<fieldset{described}>{field.label_tag()}")
    classes = " errors" if (not readonly and errors) or (single and line_errors) else ""
    if not single:
        classes += " fieldBox"
        if name:
            classes += f" field-{_escaped(name)}"
        if hidden:
            classes += " hidden"
    if field.is_checkbox:
        classes += " checkbox-row"
    parts.append(f'\n                <div class="flex-container{classes}">\n                    ')
    label = "" if fieldset else field.label_tag()
    if field.is_checkbox:
        parts.append(
            f'\n                        <div class="checkbox">\n                        {bound}'
            f"\n                        {label}\n                        </div>"
            "\n                    "
        )
    else:
        parts.append(f"\n                        {label}\n                    ")
    parts.append("\n                    ")
    if help_text:
        help_id = f' id="{_shown(id_for_label)}_helptext"' if id_for_label else ""
        parts.append(
            f'\n                        <div class="help{" hidden" if hidden else ""}"{help_id}>'
            f"\n                            <div>{help_text}</div>\n                        </div>"
            "\n                    "
        )
    parts.append(f"\n                    {line_errors if single else ''}")
    parts.append(f"\n                    {errors if not single else ''}\n                        ")
    if not field.is_checkbox:
        if readonly:
            box = f'\n                            <div class="readonly">{field.contents()}</div>'
        else:
            box = f"\n                            {bound}"
        parts.append(
            f"\n                        {box}\n                        \n                    "
        )
    parts.append("\n                </div>\n                ")
    if fieldset:
        parts.append("</fieldset>")
    parts.append("\n            ")
    return "".join(parts)


def _name(field):
    """`field.field.name` in the template: the bound field's name, or a read-only
    field's."""
    return field.field["name"] if field.is_readonly else field.field.name
