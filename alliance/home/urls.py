from django.urls import path

from alliance.home import pwa, views

app_name = "home"

urlpatterns = [
    path("home/", views.home, name="home"),
    path("health/", views.health, name="health"),
    # The installable app; the worker at the root, so its scope is the whole site.
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("offline/", pwa.offline, name="offline"),
]
