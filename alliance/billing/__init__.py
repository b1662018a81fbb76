"""Billing: fees, the cancellation policy, invoices with credit notes, payments, receipts.

Modules and who calls what:

- `models.py` — practice billing settings (one row), service types, therapist fees, sliding
  scale tiers and applications, charges (what an appointment owes, one per appointment),
  invoices and credit notes (numbered without gaps, immutable once issued), their lines,
  payments (card, cash, bank transfer, other) and refunds.
- `money.py` — pure money arithmetic (no Django): fee resolution with overrides and the
  sliding scale, ageing buckets, statement totals. Integer minor units only.
- `fees.py` — Django-side fee lookup: the fee a client pays for a service with a therapist
  (the match card, the booking page and the charges call it).
- `charging.py` — `settle_appointment(appointment_id)`: what an appointment owes (session,
  late cancellation, no-show, or nothing); called by `lifecycle.py` (the schedule's events)
  and by the reconcile job in `clock.py`/`tasks.py`. Waivers (`waive_charge`) live here too.
- `invoicing.py` — `issue_invoice`, `issue_credit_note`, `issue_monthly_statements`: the
  counter row is locked in the issuing transaction so numbers have no gaps.
- `payments.py` — `record_payment(invoice=..., amount_minor=..., currency=..., method=...)`
  locks the invoice and refuses zero, negative, mismatched-currency, overpaying payments and
  a payment for a paid invoice; a `provider_ref` already recorded returns the first payment
  (idempotent, for the card webhook).
- `queries.py` — balances, ageing, the pages' reads. `pdf.py` — WeasyPrint documents.
- `views.py`, `urls.py`, `forms.py` — the client, therapist and admin pages; `export.py` — the
  accountant's CSV. `templatetags/billing.py` — the fee and policy shown by lower parts'
  templates (`{% load billing %}`). `privacy.py`, `demo.py`, `nav.py` — the part hooks.
- Card payments (Checkout, webhooks, refunds through the provider) and superbills are in
  `stripe_*.py`, `webhooks.py` and `superbill*.py`; they build on `payments.record_payment`.
"""
