from django.urls import path

from . import views
from .review_urls import urlpatterns as review_urlpatterns

app_name = "assessments"
urlpatterns = [
    path("me/", views.me, name="me"),
    path("team/", views.team, name="team"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/level/", views.assign_level, name="assign_level"),
]
urlpatterns += review_urlpatterns
