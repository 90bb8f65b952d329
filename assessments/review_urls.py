"""Addresses of level reviews, included in `assessments.urls`."""

from django.urls import path

from . import review_views

urlpatterns = [
    path("people/<int:pk>/reviews/new/", review_views.review_start, name="review_start"),
    path("reviews/<int:pk>/", review_views.review, name="review"),
    path("reviews/<int:pk>/share/", review_views.review_share, name="review_share"),
    path(
        "reviews/<int:pk>/acknowledge/",
        review_views.review_acknowledge,
        name="review_acknowledge",
    ),
]
