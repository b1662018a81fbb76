"""Write alliance/core/data/icd10cm_f.csv: every billable code of ICD-10-CM chapter 5
(mental, behavioural and neurodevelopmental disorders, F01-F99) with its description.

The source is the ICD-10-CM tabular list of the April 1, 2026 release, published by the
CDC's National Center for Health Statistics with CMS (in the public domain), as packaged by
simple-icd-10-cm 1.5.0 (MIT). A billable code is a category or subcategory with no children.

    .venv/bin/pip install simple-icd-10-cm==1.5.0
    .venv/bin/python scripts/icd10cm_chapter5.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import simple_icd_10_cm as cm  # type: ignore[import-not-found]

OUT = Path(__file__).resolve().parent.parent / "alliance" / "core" / "data" / "icd10cm_f.csv"
HEADER = (
    "# ICD-10-CM, April 1, 2026 release (CDC National Center for Health Statistics and CMS, "
    "public domain), chapter 5 (F01-F99): every billable code. "
    "Written by scripts/icd10cm_chapter5.py; do not edit by hand.\n"
)


def main() -> None:
    # dict.fromkeys keeps the order and drops a repeat (F99 is both a block and its code).
    codes = list(
        dict.fromkeys(
            code
            for code in cm.get_all_codes(False)
            if code.startswith("F") and cm.is_category_or_subcategory(code) and cm.is_leaf(code)
        )
    )
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER)
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["code", "description"])
        for code in codes:
            writer.writerow([cm.add_dot(code), cm.get_description(code)])
    print(f"{len(codes)} codes written to {OUT}")


if __name__ == "__main__":
    main()
