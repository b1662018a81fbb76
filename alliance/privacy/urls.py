from django.urls import path

from alliance.privacy import views

app_name = "privacy"

urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/verify/", views.verify_audit_log, name="verify_audit_log"),
    path("who-opened-my-record/", views.my_record_access, name="my_record_access"),
    path("break-glass/", views.break_glass, name="break_glass"),
    path("settings/", views.privacy_settings, name="settings"),
    path("settings/consent/withdraw/", views.withdraw_consent, name="withdraw_consent"),
    path("settings/export.json", views.export_json, name="export_json"),
    path("settings/export.fhir.json", views.export_fhir, name="export_fhir"),
    path("settings/erase/", views.erase, name="erase"),
]
