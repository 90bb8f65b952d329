"""The ladder data pages draw their boxes and the rows of their lists without the
template engine (`levels.rendering`): the markup must be Django's own, byte for byte."""

import re
from html.parser import HTMLParser

import pytest
from django import forms
from django.contrib.admin.helpers import AdminForm, InlineAdminFormSet
from django.forms.renderers import get_default_renderer
from django.urls import reverse

from levels import admin
from levels.admin import (
    AspectValueInline,
    CategoryInline,
    LadderDataForm,
    LadderRowForm,
    LevelAdmin,
    StackedRows,
    TabularRows,
)
from levels.models import Category, Expectation, FAQEntry, Ladder, Level
from levels.rendering import SharedChoices, SharedChoicesSelect, plain_widgets

from ..adminforms import change_form_data, inline_prefix, inline_row
from ..factories import make_hr_user

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
DRAWN_ROWS = "admin/levels/edit_inline/tabular.html"


def without_csrf(response):
    return CSRF.sub("", response.content.decode())


def as_django_draws_it(monkeypatch):
    """From here on, pages are drawn by Django's own templates, form renderer and inline
    wrapper."""
    monkeypatch.setattr(LadderDataForm, "default_renderer", get_default_renderer())
    monkeypatch.setattr(LadderRowForm, "default_renderer", get_default_renderer())
    monkeypatch.setattr(admin, "plain_widgets", get_default_renderer())  # lists' own forms
    monkeypatch.setattr(admin, "DrawnRowsFormSet", InlineAdminFormSet)
    monkeypatch.setattr(admin, "DrawnAdminForm", AdminForm)
    monkeypatch.setattr(TabularRows, "template", "admin/edit_inline/tabular.html")
    monkeypatch.setattr(StackedRows, "template", "admin/edit_inline/stacked.html")


def drawn_by_us(response, lists=True):
    """The page, after checking that its field sets and its lists, if it has any, were
    drawn by `levels.rendering`."""
    templates = [template.name for template in response.templates]
    assert "admin/includes/fieldset.html" not in templates
    assert (DRAWN_ROWS in templates) is lists
    return without_csrf(response)


def change_url(obj):
    return reverse(f"admin:levels_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.mark.parametrize("model", ["ladder", "level", "track", "aspect", "expectation"])
def test_change_pages_are_drawn_as_django_draws_them(default_ladder, client, monkeypatch, model):
    client.force_login(make_hr_user())
    obj = {
        "ladder": default_ladder,
        "level": default_ladder.levels.get(key="pm"),
        "track": default_ladder.tracks.get(key="ic"),
        "aspect": default_ladder.aspects.first(),
        "expectation": default_ladder.levels.get(key="pm").expectations.first(),
    }[model]
    url = change_url(obj)

    drawn = drawn_by_us(client.get(url), lists=model != "expectation")
    as_django_draws_it(monkeypatch)
    by_django = without_csrf(client.get(url))

    assert drawn == by_django


@pytest.mark.parametrize("model", ["ladder", "level", "track"])
def test_add_pages_are_drawn_as_django_draws_them(default_ladder, client, monkeypatch, model):
    client.force_login(make_hr_user())
    url = reverse(f"admin:levels_{model}_add")

    drawn = drawn_by_us(client.get(url))
    as_django_draws_it(monkeypatch)

    assert drawn == without_csrf(client.get(url))


def test_rows_with_errors_a_new_row_and_deletions_are_drawn_as_django_draws_them(
    default_ladder, client, monkeypatch
):
    client.force_login(make_hr_user())
    page = client.get(change_url(default_ladder))
    data = change_form_data(page)
    data["name"] = ""  # an error on the ladder's own form
    faq = inline_prefix(page, "faqentry")
    data[f"{faq}-0-question"] = ""  # an error in a stacked list's form
    data[f"{faq}-1-answer"] = "Ask HR."  # refused: someone else changed it
    FAQEntry.objects.filter(pk=data[f"{faq}-1-id"]).update(answer="Ask your manager.")
    prefix, blank = inline_row(page, "category", key="skills")
    _, stale = inline_row(page, "category", key="responsibilities")
    _, deleted = inline_row(page, "category", key="expected")
    data[f"{prefix}-{blank}-name"] = ""  # a field error
    data[f"{prefix}-{stale}-name"] = "What you own"  # refused: someone else renamed it
    data[f"{prefix}-{deleted}-DELETE"] = "on"  # ticked, kept ticked when refused
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    data.update(  # a row added with "Add another", its key missing
        {
            f"{prefix}-TOTAL_FORMS": str(total + 1),
            f"{prefix}-{total}-name": "New",
            f"{prefix}-{total}-position": "9",
            f"{prefix}-{total}-is_active": "on",
        }
    )
    Category.objects.filter(ladder=default_ladder, key="responsibilities").update(name="Duties")

    refused = client.post(change_url(default_ladder), data)

    assert refused.status_code == 200
    content = drawn_by_us(refused)
    assert content.count('class="row-form-errors"') == 1  # the stale row
    assert '<ul class="errorlist nonfield"><li>Someone else saved this' in content  # FAQ
    assert content.count('<ul class="errorlist" id="id_faq_entries-0-question_error">') == 1
    assert '<ul class="errorlist" id="id_name_error">' in content
    assert "Someone else saved this after you opened it, changing name." in content
    assert re.search(
        rf'<input type="checkbox" name="{prefix}-{deleted}-DELETE"[^>]* checked>', content
    )
    assert content.count('<ul class="errorlist" id="id_categories-') == 2  # blank, no key
    assert 'id="categories-empty"' in content
    as_django_draws_it(monkeypatch)
    assert content == without_csrf(client.post(change_url(default_ladder), data))
    assert Category.objects.filter(ladder=default_ladder, key="expected").exists()


@pytest.mark.parametrize("model", ["ladder", "level"])
def test_read_only_rows_are_drawn_as_django_draws_them(default_ladder, client, monkeypatch, model):
    # Someone who may only view ladder data sees every row's values, not boxes, and a
    # View link where HR has Change.
    client.force_login(
        make_hr_user(
            "view_ladder",
            "view_level",
            "view_category",
            "view_track",
            "view_expectation",
            "view_aspectvalue",
            "view_aspect",
            "view_promotioncriterion",
            "view_promotionblocker",
            "view_faqentry",
        )
    )
    obj = default_ladder if model == "ladder" else default_ladder.levels.get(key="pm")

    response = client.get(change_url(obj))

    assert response.status_code == 200
    content = drawn_by_us(response)
    assert "<p><img src=" in content  # a read-only tick box, as an icon
    assert 'class="inlineviewlink"' in content or model == "level"
    assert 'name="categories-0-name"' not in content
    as_django_draws_it(monkeypatch)
    assert content == without_csrf(client.get(change_url(obj)))


def test_read_only_fields_among_boxes_are_drawn_as_django_draws_them(
    default_ladder, client, monkeypatch
):
    client.force_login(make_hr_user())
    monkeypatch.setattr(CategoryInline, "readonly_fields", ["key"])
    monkeypatch.setattr(AspectValueInline, "readonly_fields", ["aspect"])
    level = default_ladder.levels.get(key="pm")
    pages = [change_url(default_ladder), change_url(level)]

    drawn = [drawn_by_us(client.get(url)) for url in pages]
    as_django_draws_it(monkeypatch)
    by_django = [without_csrf(client.get(url)) for url in pages]

    assert '<td class="field-key">\n              \n                  <p>' in drawn[0]
    assert '<td class="field-aspect">\n              \n                  <p><a href=' in drawn[1]
    assert drawn == by_django


def test_a_row_with_a_long_text_and_markup_is_drawn_as_django_draws_it(
    default_ladder, client, monkeypatch
):
    client.force_login(make_hr_user())
    level = default_ladder.levels.get(key="pm")
    Expectation.objects.filter(pk=level.expectations.first().pk).update(
        text='Ships <b>"bold"</b> & careful\nwork, twice over. ' * 20
    )

    drawn = drawn_by_us(client.get(change_url(level)))
    as_django_draws_it(monkeypatch)

    assert "&lt;b&gt;&quot;bold&quot;&lt;/b&gt; &amp; careful" in drawn
    assert drawn == without_csrf(client.get(change_url(level)))


class Everything(forms.Form):
    text = forms.CharField(
        label='Say <"hi">', initial='Say "hi" & <b>', widget=forms.TextInput(attrs={"size": 3})
    )
    number = forms.IntegerField(initial=7, required=False)
    hidden = forms.CharField(initial="x", widget=forms.HiddenInput)
    ticked = forms.BooleanField(initial=True, required=False)
    unticked = forms.BooleanField(initial=False)
    email = forms.EmailField(initial="a@example.com", disabled=True)
    area = forms.CharField(initial="One\n<two>", widget=forms.Textarea)
    empty_area = forms.CharField(required=False, widget=forms.Textarea)
    choice = forms.ChoiceField(
        initial="b", choices=[("", "---"), ("a", "A & a"), ("Group", [("b", "B"), ("c", 3)])]
    )
    many = forms.MultipleChoiceField(initial=["a", "c"], choices=[("a", "A"), ("c", "C")])


@pytest.mark.parametrize("bound", [False, True])
def test_every_plain_widget_is_drawn_as_django_draws_it(bound):
    data = {"text": "<i>", "number": "x", "ticked": "on", "choice": "c", "many": ["c"]}

    def form(renderer):
        return Everything(data if bound else None, renderer=renderer)

    drawn, by_django = form(plain_widgets), form(get_default_renderer())

    for name in Everything.base_fields:
        assert str(drawn[name]) == str(by_django[name]), name
        assert str(drawn[name].errors) == str(by_django[name].errors), name
        assert drawn[name].errors.as_ul() == by_django[name].errors.as_ul(), name
        assert drawn[name].label_tag() == by_django[name].label_tag(), name
        assert drawn[name].legend_tag(attrs={"class": "x"}) == by_django[name].legend_tag(
            attrs={"class": "x"}
        ), name
    assert str(drawn.non_field_errors()) == str(by_django.non_field_errors())
    assert bool(drawn.errors) is bound


SHARED = [("", "---------"), (1, "L1 & <b>one</b>"), (2, 'Two "2"'), (3, "Three"), (2, "Again")]


@pytest.mark.parametrize("value", [None, "", 1, "2", 3, 99, "<x>"])
def test_a_picker_of_shared_choices_is_drawn_as_django_draws_a_picker(value):
    shared = SharedChoicesSelect()
    shared.choices = SharedChoices(SHARED)
    plain = forms.Select(choices=SHARED)

    drawn = shared.render("row-0-level", value, {"id": "id_row-0-level"}, plain_widgets)
    by_django = plain.render("row-0-level", value, {"id": "id_row-0-level"})

    assert drawn == by_django
    assert drawn.count(" selected>") == (0 if value in (99, "<x>") else 1)
    # Drawn by a template, the options are listed as Django lists them.
    assert shared.render("row-0-level", value, {}, get_default_renderer()) == plain.render(
        "row-0-level", value, {}
    )


def test_the_rows_of_a_list_share_their_pickers_choices_drawn_once(default_ladder, client):
    client.force_login(make_hr_user())
    aspect = default_ladder.aspects.first()

    page = client.get(change_url(aspect))

    (inline,) = page.context["inline_admin_formsets"]
    forms_ = [*inline.formset.forms, inline.formset.empty_form]
    pickers = [form.fields["level"].widget.widget for form in forms_]
    assert len(pickers) == default_ladder.levels.count() + 1  # a row a level, a new row
    assert all(type(picker.choices) is SharedChoices for picker in pickers)
    assert len({id(picker.choices.drawn_options) for picker in pickers}) == 1
    assert "options" in pickers[0].choices.drawn_options  # drawn, and kept for all rows
    first_level = default_ladder.levels.order_by("position").first()
    row = next(form for form in inline.formset.forms if form.instance.level_id == first_level.pk)
    assert f'<option value="{first_level.pk}" selected>' in str(row["level"])


def test_field_sets_of_every_shape_are_drawn_as_django_draws_them(
    default_ladder, client, monkeypatch
):
    # Fields side by side, a folded set with a description, a read-only field among boxes,
    # and errors on a line of one field and on a line of several.
    client.force_login(make_hr_user())
    monkeypatch.setattr(
        LevelAdmin,
        "fieldsets",
        [
            (None, {"fields": ["ladder", ("name", "short_name"), ("key", "code", "grade")]}),
            (
                "What the level is",
                {
                    "fields": ["summary", "next_step"],
                    "classes": ["collapse"],
                    "description": "Say <em>what</em> it is.",
                },
            ),
            ("Place", {"fields": [("position", "is_active")]}),
        ],
    )
    monkeypatch.setattr(LevelAdmin, "readonly_fields", ["code"])
    url = change_url(default_ladder.levels.get(key="pm"))
    page = client.get(url)
    data = {**change_form_data(page), "name": "", "short_name": ""}

    drawn = [drawn_by_us(page), drawn_by_us(client.post(url, data))]
    as_django_draws_it(monkeypatch)
    by_django = [without_csrf(client.get(url)), without_csrf(client.post(url, data))]

    assert 'class="form-row flex-container form-multiline field-name field-short_name"' in drawn[0]
    assert "<details><summary>" in drawn[0]
    assert '<div class="description">Say <em>what</em> it is.</div>' in drawn[0]
    assert '<div class="readonly">' in drawn[0]
    assert drawn[1].count('class="errorlist"') == 2
    assert drawn == by_django


class BrowserForm(HTMLParser):
    """What a browser posts from the page's change form: every named box as drawn, ticked
    boxes only, the chosen option of each picker."""

    def __init__(self):
        super().__init__()
        self.data, self._select, self._textarea = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") != "checkbox" or "checked" in attrs:
                self.data.append((name, attrs.get("value", "on")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data.append((self._select, attrs["value"]))
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            name, text = self._textarea
            self.data.append((name, text.removeprefix("\n")))  # as browsers read it
            self._textarea = None


def posted(page, **changes):
    form = BrowserForm()
    form.feed(page.content.decode())
    data = {}
    for name, value in form.data:
        data.setdefault(name, []).append(value)
    data.pop("csrfmiddlewaretoken", None)
    return {**data, **changes}


@pytest.mark.parametrize("stale", [False, True])
def test_the_drawn_page_posted_as_a_browser_would_saves_and_refuses_a_stale_row(
    default_ladder, client, stale
):
    client.force_login(make_hr_user())
    url = change_url(default_ladder)
    page = client.get(url)
    prefix, index = inline_row(page, "level", key="pm")
    data = posted(page, **{f"{prefix}-{index}-name": "Product Manager I"})
    if stale:
        Level.objects.filter(ladder=default_ladder, key="pm").update(short_name="PM1")

    response = client.post(url, data)

    pm = default_ladder.levels.get(key="pm")
    if stale:
        assert response.status_code == 200
        assert "Someone else saved this after you opened it" in response.content.decode()
        assert (pm.name, pm.short_name) == ("Product Manager", "PM1")
    else:
        assert response.status_code == 302
        assert pm.name == "Product Manager I"


def test_help_with_markup_in_a_list_and_a_field_set_is_drawn_as_django_draws_it(
    default_ladder, client, monkeypatch
):
    client.force_login(make_hr_user())
    help_text = 'Lowest <b>first</b> & "so on"'
    monkeypatch.setattr(Category._meta.get_field("position"), "help_text", help_text)
    monkeypatch.setattr(Ladder._meta.get_field("name"), "help_text", help_text)
    url = change_url(default_ladder)

    drawn = drawn_by_us(client.get(url))
    as_django_draws_it(monkeypatch)

    assert 'title="Lowest first &amp; &quot;so on&quot;"' in drawn  # a list's heading
    assert f"<div>{help_text}</div>" in drawn  # the ladder's own field
    assert drawn == without_csrf(client.get(url))
