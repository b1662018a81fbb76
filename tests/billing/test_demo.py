"""The demo has fees, paid and unpaid invoices, and a waived fee."""

from __future__ import annotations

import pytest
from django.db import transaction

from alliance.billing import balances
from alliance.billing.models import Invoice, ServiceType
from alliance.core import demo

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


def test_the_demo_bills_its_sessions():
    with pytest.raises(Rollback), transaction.atomic():
        demo.seed(seed=7, scale=0.05)
        assert ServiceType.objects.get(code="90834").default_fee_minor == 15000
        invoices = list(Invoice.objects.exclude(kind="credit_note"))
        owed = balances.balances(invoices)
        assert any(owed[i.pk] == 0 for i in invoices), "some invoices are paid"
        assert any(owed[i.pk] > 0 for i in invoices), "some are still owed"
        raise Rollback
