from __future__ import annotations

from django.urls import path

from alliance.goals import views

app_name = "goals"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("partnerships/<int:pk>/", views.partnership_goals, name="partnership_goals"),
    path("partnerships/<int:pk>/tasks/", views.partnership_tasks, name="partnership_tasks"),
    path("partnerships/<int:pk>/agreement/", views.working_agreement, name="working_agreement"),
    path("partnerships/<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/", views.goal_detail, name="goal_detail"),
    path("tasks/<int:pk>/", views.task_action, name="task_action"),
]
