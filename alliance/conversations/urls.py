from __future__ import annotations

from django.urls import path

from alliance.conversations import views

app_name = "conversations"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.thread, name="thread"),
    path("<int:pk>/call/setup/", views.call_setup, name="call_setup"),
    path("<int:pk>/call/", views.call, name="call"),
]
