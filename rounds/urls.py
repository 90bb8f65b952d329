from django.urls import path

from . import nomination_views, views

app_name = "rounds"
urlpatterns = [
    path("rounds/", views.round_list, name="list"),
    path("rounds/new/", views.round_new, name="new"),
    path("rounds/people-lookup/", views.people_lookup, name="people_lookup"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/edit/", views.round_edit, name="edit"),
    path("rounds/<int:pk>/open/", views.round_move, {"step": "open"}, name="open"),
    path("rounds/<int:pk>/close/", views.round_move, {"step": "close"}, name="close"),
    path("rounds/<int:pk>/finalise/", views.round_move, {"step": "finalise"}, name="finalise"),
    path("rounds/<int:pk>/calibrate/", views.calibrate, name="calibrate"),
    path("nominations/<int:pk>/", nomination_views.nomination, name="nomination"),
    path("nominations/<int:pk>/edit/", nomination_views.nomination_edit, name="nomination_edit"),
    path(
        "nominations/<int:pk>/withdraw/",
        nomination_views.nomination_withdraw,
        name="nomination_withdraw",
    ),
    path(
        "nominations/<int:pk>/endorse/",
        nomination_views.nomination_endorse,
        name="nomination_endorse",
    ),
    path(
        "nominations/<int:pk>/decide/", nomination_views.nomination_decide, name="nomination_decide"
    ),
    path("people/<int:pk>/nominate/", nomination_views.nominate, name="nominate"),
]
