"""The practice's and therapists' identifiers on a superbill: NPI and employer tax id (EIN).

An NPI is ten digits whose last is a Luhn check digit computed over the nine before it with
the prefix 80840 (the card issuer prefix for US health applications), as CMS specifies in
"Requirements for Constructing the NPI Check Digit". An EIN is written NN-NNNNNNN. A social
security number is never asked for: a therapist who bills in their own name gives an EIN.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.billing.errors import BillingError
from alliance.billing.superbill_models import ProviderIdentifiers

NPI_PREFIX = "80840"


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            value -= 9 if value > 9 else 0
        total += value
    return total % 10 == 0


def check_npi(text: str) -> str:
    npi = re.sub(r"[\s-]", "", text)
    if not re.fullmatch(r"\d{10}", npi):
        raise BillingError(_("An NPI is ten digits."))
    if not luhn_ok(NPI_PREFIX + npi):
        raise BillingError(_("This NPI's check digit is wrong; look at each digit again."))
    return npi


def check_tax_id(text: str) -> str:
    found = re.fullmatch(r"(\d{2})-?(\d{7})", text.strip())
    if not found or found.group(1) == "00":
        raise BillingError(_("Write the employer identification number (EIN) as 12-3456789."))
    return f"{found.group(1)}-{found.group(2)}"


@transaction.atomic
def set_identifiers(*, therapist: User | None, npi: str, tax_id: str) -> ProviderIdentifiers:
    """Set a therapist's own identifiers, or the practice's (`therapist=None`); blank leaves
    one unset."""
    clean_npi = check_npi(npi) if npi.strip() else ""
    clean_tax_id = check_tax_id(tax_id) if tax_id.strip() else ""
    row, _created = ProviderIdentifiers.objects.select_for_update().get_or_create(
        therapist=therapist
    )
    row.npi, row.tax_id = clean_npi, clean_tax_id
    row.save(update_fields=["npi", "tax_id", "updated_at"])
    return row


def identifiers_of(therapist_ids: list[int]) -> dict[int | None, ProviderIdentifiers]:
    """{therapist id, or None for the practice: identifiers} that are set."""
    rows = ProviderIdentifiers.objects.filter(therapist_id__in=therapist_ids) | (
        ProviderIdentifiers.objects.filter(therapist__isnull=True)
    )
    return {row.therapist_id: row for row in rows}
