"""Made-up instruments shaped like licensed ones (WAI-SR, SRS/ORS), with invented item text.

They prove the schema can express a licensed instrument a practice adds itself; none of the
text below comes from a real instrument.
"""

from __future__ import annotations

from typing import Any

FREQUENCY_1_5 = [
    {"value": 1, "text": {"en": "Hardly"}},
    {"value": 2, "text": {"en": "Now and then"}},
    {"value": 3, "text": {"en": "Half the time"}},
    {"value": 4, "text": {"en": "Mostly"}},
    {"value": 5, "text": {"en": "Every time"}},
]

# Same shape as WAI-SR: 12 items 1-5, task = 1, 2, 10, 12; bond = 3, 5, 7, 9;
# goal = 4, 6, 8, 11; totals 12-60, subscales 4-20. Item 5 is reverse keyed here to test
# reverse keying (the invented text is worded negatively).
SUBSCALE_ITEMS = {
    "task": [1, 2, 10, 12],
    "bond": [3, 5, 7, 9],
    "goal": [4, 6, 8, 11],
}


def twelve_item_alliance() -> dict[str, Any]:
    items: list[dict[str, Any]] = [
        {"id": f"m{n}", "text": {"en": f"Invented statement number {n}."}, "response_set": "f"}
        for n in range(1, 13)
    ]
    items[4]["reverse"] = True
    items[4]["text"] = {"en": "Invented negatively worded statement."}
    return {
        "schema_version": 1,
        "id": "madeup_alliance12",
        "title": {"en": "Made-up twelve-item alliance form"},
        "kind": "alliance",
        "validated": False,
        "languages": {"en": "invented for tests"},
        "response_sets": {"f": FREQUENCY_1_5},
        "items": items,
        "total": {"method": "sum", "range": [12, 60]},
        "missing": {"method": "prorate", "max_missing": 2},
        "subscales": [
            {
                "id": name,
                "items": [f"m{n}" for n in numbers],
                "method": "sum",
                "range": [4, 20],
                "max_missing": 1,
            }
            for name, numbers in SUBSCALE_ITEMS.items()
        ],
        "lower_is_better": False,
        "clinical_cutoff": {"score": 36, "source": "invented"},
        "licence": "Test fixture only.",
        "credit": "Invented for tests.",
        "sources": ["none"],
    }


def four_line_rating() -> dict[str, Any]:
    """Shaped like SRS/ORS: four visual-analogue lines 0-10, total 0-40, cut-off 25."""
    return {
        "schema_version": 1,
        "id": "madeup_lines4",
        "title": {"en": "Made-up four-line rating"},
        "validated": False,
        "languages": {"en": "invented for tests"},
        "items": [
            {
                "id": f"line{n}",
                "kind": "numeric",
                "min": 0,
                "max": 10,
                "step": 0.1,
                "text": {"en": f"Invented line {n}"},
            }
            for n in range(1, 5)
        ],
        "total": {"method": "sum", "range": [0, 40]},
        "missing": {"method": "prorate", "max_missing": 0},
        "lower_is_better": False,
        "clinical_cutoff": {"score": 25, "source": "invented"},
        "reliable_change": {"sd": 7.0, "reliability": 0.85, "source": "invented"},
        "licence": "Test fixture only.",
        "credit": "Invented for tests.",
        "sources": ["none"],
    }
