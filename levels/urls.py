from django.urls import path

from . import views

app_name = "levels"
urlpatterns = [
    path("", views.ladder_list, name="ladders"),
    path("<slug:slug>/", views.ladder_detail, name="ladder"),
    path("<slug:slug>/levels/<slug:key>/", views.level_detail, name="level"),
    path("<slug:slug>/compare/", views.compare, name="compare"),
    path("<slug:slug>/promotion/", views.promotion, name="promotion"),
    path("<slug:slug>/faq/", views.faq, name="faq"),
]
