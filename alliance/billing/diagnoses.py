"""The client's diagnosis for a superbill: an ICD-10-CM code of chapter 5 (F01-F99) that the
therapist enters for a partnership.

A code must be written as ICD-10-CM writes it (a letter F, two digits, and after a point up
to four more characters) and be one of the billable codes shipped in
`data/icd10cm_f.csv` (ICD-10-CM FY2026, CDC/NCHS and CMS), so a superbill never carries a
code an insurer refuses as unknown or as a category header.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from functools import cache
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.billing.errors import BillingError
from alliance.billing.superbill_models import Diagnosis
from alliance.care.models import Partnership

CODES_FILE = Path(__file__).resolve().parent / "data" / "icd10cm_f.csv"
FORMAT = re.compile(r"F\d{2}(\.\w{1,4})?")


@cache
def codes() -> dict[str, str]:
    """{code: description} of the shipped list."""
    with CODES_FILE.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {row["code"]: row["description"] for row in rows}


def check_code(text: str) -> tuple[str, str]:
    """The code as ICD-10-CM writes it, and its description; refused when unknown."""
    code = text.strip().upper()
    if not FORMAT.fullmatch(code):
        raise BillingError(
            _("Write the ICD-10-CM code as F, two digits and, after a point, the rest (F41.1).")
        )
    if code not in codes():
        raise BillingError(
            _(
                "%(code)s is not a billable ICD-10-CM mental-health code in this list; "
                "choose the full code (for example F43.10, not F43.1)."
            )
            % {"code": code}
        )
    return code, codes()[code]


@transaction.atomic
def enter_diagnosis(
    *, partnership: Partnership, code: str, by: User, diagnosed_on: dt.date | None = None
) -> Diagnosis:
    """Record the therapist's diagnosis of their client; the latest one before a superbill's
    period end is the one it prints."""
    if by.pk != partnership.therapist_id:
        raise BillingError(_("Only the client's own therapist enters their diagnosis."))
    found, description = check_code(code)
    today = timezone.localdate()
    day = diagnosed_on or today
    if day > today:
        raise BillingError(_("A diagnosis cannot be dated in the future."))
    return Diagnosis.objects.create(
        partnership=partnership,
        code=found,
        description=description,
        entered_by=by,
        diagnosed_on=day,
    )


def current(partnership_ids: list[int], on: dt.date) -> dict[int, Diagnosis]:
    """{partnership id: its latest diagnosis dated on or before `on`}."""
    latest: dict[int, Diagnosis] = {}
    for diagnosis in Diagnosis.objects.filter(
        partnership_id__in=partnership_ids, diagnosed_on__lte=on
    ).order_by("diagnosed_on", "id"):
        latest[diagnosis.partnership_id] = diagnosis
    return latest
