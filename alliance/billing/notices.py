"""E-mails about money: an invoice issued, a payment received.

They carry no clinical detail — no service description, code, therapist, date of a
session or diagnosis: an e-mail can be read over a shoulder or in a shared inbox. They say
who is billing (the practice), the document's number, the amount and a link to the page,
where the client logs in to see the rest. Sent by tasks enqueued on commit, in the
client's language (core/mail.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.utils.translation import gettext_noop
from django_tasks import task

from alliance.billing.models import Invoice, Payment
from alliance.core import mail


@task()
def send_invoice_email(invoice_id: int) -> bool:
    invoice = Invoice.objects.select_related("client").filter(pk=invoice_id).first()
    if invoice is None or invoice.is_credit_note or not invoice.client.is_active:
        return False
    mail.send(
        invoice.client,
        subject=gettext_noop("A new invoice"),
        template="billing/email/invoice.txt",
        context={
            "invoice": invoice,
            "url": mail.link("billing:client"),
        },
    )
    return True


@task()
def send_payment_email(payment_id: int) -> bool:
    payment = Payment.objects.select_related("invoice__client").filter(pk=payment_id).first()
    if payment is None or not payment.invoice.client.is_active:
        return False
    mail.send(
        payment.invoice.client,
        subject=gettext_noop("Payment received"),
        template="billing/email/payment.txt",
        context={
            "payment": payment,
            "invoice": payment.invoice,
            "url": mail.link("billing:client"),
        },
    )
    return True


# The demo's invoices of past weeks are nobody's news: it seeds them with the e-mails off.
_silenced: ContextVar[bool] = ContextVar("billing_notices_silenced", default=False)


@contextmanager
def silenced() -> Iterator[None]:
    token = _silenced.set(True)
    try:
        yield
    finally:
        _silenced.reset(token)


def invoice_issued(invoice: Invoice) -> None:
    if _silenced.get():
        return
    invoice_id = invoice.pk
    transaction.on_commit(lambda: send_invoice_email.enqueue(invoice_id))


def payment_received(payment: Payment) -> None:
    if _silenced.get():
        return
    payment_id = payment.pk
    transaction.on_commit(lambda: send_payment_email.enqueue(payment_id))
