"""The JSON API, version 1, under /api/v1/ (no format suffixes: JSON only)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import docs, views

app_name = "api"

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("ladders/", views.LadderList.as_view(), name="ladders"),
    path("ladders/<slug:slug>/", views.LadderDetail.as_view(), name="ladder"),
    path("ladders/<slug:slug>/file/", views.LadderFile.as_view(), name="ladder_file"),
    path("people/", views.PeopleList.as_view(), name="people"),
    path("people/bulk/", views.PeopleBulk.as_view(), name="people_bulk"),
    path("people/<int:pk>/", views.PersonDetail.as_view(), name="person"),
    path("people/<int:pk>/evidence/", views.PersonEvidence.as_view(), name="person_evidence"),
    path("evidence/", views.EvidenceList.as_view(), name="evidence"),
    path("evidence/<int:pk>/", views.EvidenceDetail.as_view(), name="evidence_item"),
    path("reviews/", views.ReviewList.as_view(), name="reviews"),
    path("reviews/<int:pk>/", views.ReviewDetail.as_view(), name="review"),
    path("schema/", login_not_required(docs.SchemaView.as_view()), name="schema"),
    path("docs/", docs.docs_page, name="docs"),
    path("<path:rest>", views.UnknownAddress.as_view(), name="unknown"),
]
