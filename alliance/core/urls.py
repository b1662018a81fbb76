from django.urls import path

from alliance.core import views

app_name = "core"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("help/", views.get_help, name="help"),
]
