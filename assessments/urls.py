from django.urls import path

from . import evidence_views, views
from .review_urls import urlpatterns as review_urlpatterns

app_name = "assessments"
urlpatterns = [
    path("me/", views.me, name="me"),
    path("team/", views.team, name="team"),
    path("team/export.csv", views.team_export, name="team_export"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/level/", views.assign_level, name="assign_level"),
    path("people/<int:pk>/packet/", views.packet, name="packet"),
    path("people/<int:pk>/evidence/new/", evidence_views.evidence_new, name="evidence_new"),
    path("evidence/<int:pk>/edit/", evidence_views.evidence_edit, name="evidence_edit"),
    path("evidence/<int:pk>/delete/", evidence_views.evidence_delete, name="evidence_delete"),
    path(
        "evidence/<int:pk>/confirm/",
        evidence_views.evidence_decide,
        {"decision": "confirm"},
        name="evidence_confirm",
    ),
    path(
        "evidence/<int:pk>/decline/",
        evidence_views.evidence_decide,
        {"decision": "decline"},
        name="evidence_decline",
    ),
]
urlpatterns += review_urlpatterns
