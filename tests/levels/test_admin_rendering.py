"""The ladder data pages draw their boxes without the template engine
(`levels.rendering`): the markup must be Django's own, byte for byte."""

import re

import pytest
from django import forms
from django.forms.renderers import get_default_renderer
from django.urls import reverse

from levels.admin import LadderDataForm, LadderRowForm
from levels.rendering import plain_widgets

from ..factories import make_hr_user

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def without_csrf(response):
    return CSRF.sub("", response.content.decode())


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
    url = reverse(f"admin:levels_{model}_change", args=[obj.pk])

    drawn = without_csrf(client.get(url))
    monkeypatch.setattr(LadderDataForm, "default_renderer", get_default_renderer())
    monkeypatch.setattr(LadderRowForm, "default_renderer", get_default_renderer())
    by_django = without_csrf(client.get(url))

    assert drawn == by_django


class Everything(forms.Form):
    text = forms.CharField(initial='Say "hi" & <b>', widget=forms.TextInput(attrs={"size": 3}))
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
    assert str(drawn.non_field_errors()) == str(by_django.non_field_errors())
    assert bool(drawn.errors) is bound
