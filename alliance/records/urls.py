from django.urls import include, path

from alliance.records import document_views, record_views

app_name = "records"

urlpatterns = [
    path("documents/", document_views.my_documents, name="my_documents"),
    path("documents/<int:pk>/sign/", document_views.sign, name="sign"),
    path("signatures/<int:pk>.pdf", document_views.signed_copy, name="signed_copy"),
    path("signatures/<int:pk>/revoke/", document_views.revoke, name="revoke"),
    path("practice/documents/", document_views.practice_documents, name="practice_documents"),
    path(
        "practice/documents/<int:pk>/",
        document_views.practice_document,
        name="practice_document",
    ),
    path("my-record.pdf", record_views.my_record, {"form": "pdf"}, name="my_record_pdf"),
    path("my-record.fhir.json", record_views.my_record, {"form": "fhir"}, name="my_record_fhir"),
    path("practice/releases/", record_views.releases, name="releases"),
    path(
        "practice/releases/<int:pk>/record.pdf",
        record_views.transfer,
        {"form": "pdf"},
        name="transfer_pdf",
    ),
    path(
        "practice/releases/<int:pk>/record.fhir.json",
        record_views.transfer,
        {"form": "fhir"},
        name="transfer_fhir",
    ),
    # Treatment plans (plan_urls.py) and the record on request (export_urls.py).
    path("", include("alliance.records.plan_urls")),
]
