"""What every part of the FHIR engine shares: code systems and extension URLs, validation by
the R4B models, and small JSON helpers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

LOINC = "http://loinc.org"
ALLIANCE_SYSTEM = "urn:alliance:measures"  # codes for items and scores without a LOINC code
# Our own canonical for shipped instruments and for imports whose source has no `url`. It is
# the same in every deployment (a shipped instrument is the same definition everywhere) and,
# being a URN, does not pretend to be an address a FHIR server answers at.
CANONICAL_PREFIX = "urn:alliance:questionnaire:"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
# Older LHC-Forms exports carry the score in this ISO 21090 extension, on the Coding.
CO_VALUE = "http://hl7.org/fhir/StructureDefinition/iso21090-CO-value"
SCORE_EXTENSIONS = (ORDINAL_VALUE, ITEM_WEIGHT, CO_VALUE)
CALCULATED = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
# An answer option in this system ("asked but declined", "unknown") is no answer at all.
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"


def gettext_noop(text: str) -> str:
    """Marks a report sentence for the translation catalogue (`makemessages` finds it by this
    name) without importing Django: the admin page translates it when it shows it."""
    return text


def _validated(model: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    instance = model.model_validate(dict(data))
    result: dict[str, Any] = instance.model_dump(mode="json", exclude_none=True)
    return result


def _dicts(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside `node`, in document order (iteratively: no recursion limit)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            yield current
            stack.extend(reversed(list(current.values())))
        elif isinstance(current, list):
            stack.extend(reversed(current))


def _whole(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _canonical_of(url: str, version: str | None) -> str:
    return f"{url}|{version}" if version else url
