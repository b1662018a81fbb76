from django.urls import include, path

from alliance.records import document_views

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
    # Treatment plans (plan_urls.py) and the record on request (export_urls.py).
    path("", include("alliance.records.plan_urls")),
]
