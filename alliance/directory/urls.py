from django.urls import path

from alliance.directory import views

app_name = "directory"

urlpatterns = [
    path("profile/", views.my_profile, name="my_profile"),
    path("licences/", views.my_licences, name="my_licences"),
    path("licences/<int:pk>/verify/", views.verify_licence, name="verify_licence"),
    path("therapists/invite/", views.invite_therapist, name="invite_therapist"),
    path("therapists/<int:pk>/", views.therapist_detail, name="therapist_detail"),
]
