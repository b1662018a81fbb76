from __future__ import annotations

from django.urls import path

from alliance.checkins import admin_views, alert_views, views

app_name = "checkins"

urlpatterns = [
    path("", views.index, name="index"),
    path("partnerships/<int:pk>/start/", views.start, name="start"),
    path("partnerships/<int:pk>/progress/", views.progress, name="progress"),
    path("partnerships/<int:pk>/schedule/", views.schedule, name="schedule"),
    path("requests/<int:pk>/", views.fill, name="fill"),
    path("requests/<int:pk>/done/", views.done, name="done"),
    path("responses/<int:pk>/fhir/", views.response_fhir, name="response_fhir"),
    path("alerts/<int:pk>/", alert_views.alert_detail, name="alert_detail"),
    path("on-call/", alert_views.on_call, name="on_call"),
    path("practice/reliability/", admin_views.admin_reliability, name="admin_reliability"),
    path("practice/instruments/", admin_views.admin_instruments, name="admin_instruments"),
    path(
        "practice/alert-evaluation/",
        admin_views.admin_evaluation_failures,
        name="admin_evaluation_failures",
    ),
]
