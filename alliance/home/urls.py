from django.urls import path

from alliance.home import views

app_name = "home"

urlpatterns = [
    path("home/", views.home, name="home"),
    path("health/", views.health, name="health"),
]
