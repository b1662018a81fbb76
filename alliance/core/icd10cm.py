"""ICD-10-CM chapter 5 (F01-F99): the mental-health diagnosis codes a therapist may enter.

The list in `data/icd10cm_f.csv` is every billable code of the chapter in the April 1, 2026
release (CDC National Center for Health Statistics and CMS), written by
scripts/icd10cm_chapter5.py. A code is accepted only as ICD-10-CM writes it (F, two digits
and, after a point, up to four more characters) and only if it is billable, so a superbill or
a treatment plan never carries an unknown code or a category header such as F43.1.

Used by billing (the superbill's diagnosis) and records (the treatment plan's diagnoses).
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _

CODES_FILE = Path(__file__).resolve().parent / "data" / "icd10cm_f.csv"
FORMAT = re.compile(r"F\d{2}(\.\w{1,4})?")


class CodeError(ValueError):
    """A code that is badly written or not a billable chapter-5 code; the message says which."""


@cache
def codes() -> dict[str, str]:
    """{code: description} of the shipped list, in the list's order."""
    with CODES_FILE.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {row["code"]: row["description"] for row in rows}


def check_code(text: str) -> tuple[str, str]:
    """The code as ICD-10-CM writes it, and its description; CodeError when it is not one."""
    code = text.strip().upper()
    if not FORMAT.fullmatch(code):
        raise CodeError(
            _("Write the ICD-10-CM code as F, two digits and, after a point, the rest (F41.1).")
        )
    if code not in codes():
        raise CodeError(
            _(
                "%(code)s is not a billable ICD-10-CM mental-health code; choose the full "
                "code (for example F43.10, not F43.1)."
            )
            % {"code": code}
        )
    return code, codes()[code]
