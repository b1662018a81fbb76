from django.urls import path

from alliance.billing import (
    admin_views,
    client_views,
    stripe_views,
    superbill_views,
    therapist_views,
    webhooks,
)

app_name = "billing"

urlpatterns = [
    path("", client_views.client_billing, name="client"),
    path("sliding-scale/", client_views.apply_sliding_scale, name="apply_sliding_scale"),
    path("invoices/<int:pk>.pdf", client_views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/receipt.pdf", client_views.receipt_pdf, name="receipt_pdf"),
    path("statement.pdf", client_views.statement_pdf, name="statement_pdf"),
    path("therapist/", therapist_views.therapist_billing, name="therapist"),
    path("charges/<int:pk>/waive/", therapist_views.waive, name="waive"),
    path("practice/", admin_views.practice_billing, name="practice"),
    path("practice/settings/", admin_views.save_practice, name="save_practice"),
    path("practice/services/", admin_views.save_service, name="save_service"),
    path("practice/fees/", admin_views.save_override, name="save_override"),
    path(
        "practice/partnerships/",
        admin_views.save_partnership_service,
        name="save_partnership_service",
    ),
    path("practice/tiers/", admin_views.save_tier, name="save_tier"),
    path(
        "practice/sliding-scale/<int:pk>/",
        admin_views.decide_application,
        name="decide_application",
    ),
    path("practice/invoices/", admin_views.invoice_list, name="invoices"),
    path("practice/invoices/<int:pk>/", admin_views.invoice_detail, name="invoice"),
    path("practice/invoices/<int:pk>/payments/", admin_views.record_payment, name="record_payment"),
    path("practice/invoices/<int:pk>/credit/", admin_views.credit_note, name="credit_note"),
    path("practice/invoices/<int:pk>.pdf", admin_views.admin_invoice_pdf, name="admin_invoice_pdf"),
    path(
        "practice/clients/<int:pk>/statement.pdf",
        admin_views.admin_statement_pdf,
        name="admin_statement_pdf",
    ),
    path("practice/export.csv", admin_views.export_csv, name="export"),
    # Card payments (Stripe Checkout) and superbills.
    path("invoices/<int:pk>/pay/", stripe_views.checkout_start, name="checkout_start"),
    path("invoices/<int:pk>/paid/", stripe_views.checkout_return, name="checkout_return"),
    path("invoices/<int:pk>/not-paid/", stripe_views.checkout_cancelled, name="checkout_cancelled"),
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe_webhook"),
    path("practice/payments/<int:pk>/refund/", stripe_views.refund, name="refund"),
    path("superbills/", superbill_views.superbills, name="superbills"),
    path("superbills/request/", superbill_views.request_superbill, name="request_superbill"),
    path("superbills/<int:pk>.pdf", superbill_views.superbill_pdf, name="superbill_pdf"),
    path(
        "practice/superbills/<int:pk>.pdf",
        superbill_views.admin_superbill_pdf,
        name="admin_superbill_pdf",
    ),
    path("therapist/diagnosis/<int:pk>/", superbill_views.diagnosis, name="diagnosis"),
    path("therapist/identifiers/", superbill_views.therapist_identifiers, name="identifiers"),
    path(
        "practice/identifiers/",
        superbill_views.practice_identifiers,
        name="practice_identifiers",
    ),
]
