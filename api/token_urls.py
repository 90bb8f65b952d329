"""The access tokens page, under /account/tokens/."""

from django.urls import path

from . import token_views

app_name = "tokens"

urlpatterns = [
    path("", token_views.token_list, name="list"),
    path("new/", token_views.token_new, name="new"),
    path("revoke/", token_views.token_revoke, name="revoke"),
]
