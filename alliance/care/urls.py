from django.urls import path

from alliance.care import views

app_name = "care"

urlpatterns = [
    path("partnerships/<int:pk>/", views.partnership_detail, name="partnership_detail"),
]
