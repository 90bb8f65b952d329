"""Admin list pages write each row's action checkbox directly (`PlainActionCheckbox`), as
Django's widget template writes it."""

import pytest
from django.contrib import admin as django_admin
from django.urls import reverse

from levels.models import Expectation
from pmladder.admin import PlainActionCheckbox, with_plain_checkboxes

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_every_admin_of_the_site_writes_plain_checkboxes():
    for model, model_admin in django_admin.site._registry.items():
        assert isinstance(model_admin, PlainActionCheckbox), model


@pytest.mark.parametrize(
    "text", ["Ships on time", 'Says <b>"no"</b> & means it', "Café l'été {0} %s"]
)
def test_the_checkbox_is_the_one_django_draws(default_ladder, text):
    expectation = Expectation.objects.filter(level__ladder=default_ladder).first()
    expectation.text = text
    model_admin = django_admin.site._registry[Expectation]

    ours = model_admin.action_checkbox(expectation)
    djangos = django_admin.ModelAdmin.action_checkbox(model_admin, expectation)

    assert ours == djangos
    assert 'class="action-select"' in ours


def test_an_admin_that_draws_its_own_checkbox_keeps_it():
    class Own(django_admin.ModelAdmin):
        def action_checkbox(self, obj):
            return "mine"

    assert with_plain_checkboxes(Own) is Own
    assert issubclass(with_plain_checkboxes(django_admin.ModelAdmin), PlainActionCheckbox)


def test_a_list_page_selects_rows_with_the_checkboxes(default_ladder, client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    expectation = Expectation.objects.filter(level__ladder=default_ladder).order_by("pk").first()

    page = client.get(reverse("admin:levels_expectation_changelist")).content.decode()

    assert f'name="_selected_action" value="{expectation.pk}" class="action-select"' in page
