"""The treatment plan's pages (included by records/urls.py under the `records` namespace)."""

from django.urls import path

urlpatterns: list = []
