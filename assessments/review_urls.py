"""Addresses of level reviews, included in `assessments.urls`."""

urlpatterns = []
