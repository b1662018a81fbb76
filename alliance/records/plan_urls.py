"""The treatment plan's pages (included by records/urls.py under the `records` namespace)."""

from django.urls import path

from alliance.records import plan_views

urlpatterns = [
    path("partnerships/<int:pk>/plan/", plan_views.plan, name="plan"),
    path("partnerships/<int:pk>/plan/write/", plan_views.plan_write, name="plan_write"),
    path("plans/<int:pk>/respond/", plan_views.plan_respond, name="plan_respond"),
    path("plans/due/", plan_views.plans_due, name="plans_due"),
]
