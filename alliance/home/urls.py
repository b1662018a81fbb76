from django.urls import path

from alliance.home import pwa, therapist_profile, views

app_name = "home"

urlpatterns = [
    path("home/", views.home, name="home"),
    path("health/", views.health, name="health"),
    path(
        "therapists/<int:therapist_id>/",
        therapist_profile.therapist_profile,
        name="therapist_profile",
    ),
    path(
        "therapists/<int:therapist_id>/photo/",
        therapist_profile.therapist_photo,
        name="therapist_photo",
    ),
    # The installable app; the worker at the root, so its scope is the whole site.
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("offline/", pwa.offline, name="offline"),
]
