from django.urls import path

from alliance.privacy import views

app_name = "privacy"

urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/verify/", views.verify_audit_log, name="verify_audit_log"),
    path("who-opened-my-record/", views.my_record_access, name="my_record_access"),
]
