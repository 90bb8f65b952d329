from django.urls import path

from . import views

app_name = "insights"
urlpatterns = [
    path("org/", views.org, name="org"),
    path("org/export/<slug:table>.csv", views.export, name="export"),
]
