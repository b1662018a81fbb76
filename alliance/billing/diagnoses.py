"""The client's diagnosis for a superbill: an ICD-10-CM code of chapter 5 (F01-F99) that the
therapist enters for a partnership, checked against the shipped list (alliance/core/icd10cm.py).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.billing.errors import BillingError
from alliance.billing.superbill_models import Diagnosis
from alliance.care.models import Partnership
from alliance.core import icd10cm

codes = icd10cm.codes


def check_code(text: str) -> tuple[str, str]:
    """The code as ICD-10-CM writes it, and its description; refused when unknown."""
    try:
        return icd10cm.check_code(text)
    except icd10cm.CodeError as exc:
        raise BillingError(str(exc)) from None


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
