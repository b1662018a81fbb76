from __future__ import annotations

from django.urls import path

from alliance.journal import views

app_name = "journal"

urlpatterns = [
    path("", views.home, name="home"),
    path("entries/<int:pk>/", views.entry_detail, name="entry_detail"),
    path("partnerships/<int:pk>/", views.shared_entries, name="shared_entries"),
    path("notebooks/", views.notebooks, name="notebooks"),
    path("notebooks/<int:pk>/", views.notebook_detail, name="notebook_detail"),
    path("assigned/<int:pk>/", views.assignment_detail, name="assignment_detail"),
]
