"""The import report: its sentences (`ReportLine`), how each safety item was found
(`CriticalFinding`), the refusal when one is not (`CriticalItemNotFound`) and the result of an
import (`ImportResult`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from alliance.measures.fhir._common import gettext_noop
from alliance.measures.schema import InstrumentError


@dataclass(frozen=True)
class ReportLine:
    """One sentence of the import report: an English template with %(name)s placeholders
    (translated where it is shown) and its values."""

    template: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.template % dict(self.params)

    def as_dict(self) -> dict[str, Any]:
        return {"template": self.template, "params": dict(self.params)}


How = Literal["loinc", "wording", "admin"]


@dataclass(frozen=True)
class CriticalFinding:
    """How a critical (safety) item of the base was found in the imported form."""

    item: str  # the base instrument's item id (phq9_9)
    label: str  # "PHQ-9 item 9"
    link_id: str  # the imported item that carries it
    how: How
    required: bool  # False when the source marks the item optional
    code: str | None = None  # the LOINC code it was recognised by


@dataclass(frozen=True)
class MissingCritical:
    """A critical item of the base that the imported form does not show recognisably."""

    item: str
    label: str
    text: str  # the base item's English wording
    code: str | None
    position: int | None  # among the base's scored items, 1-based


class CriticalItemNotFound(InstrumentError):
    """The base has a critical item the Questionnaire does not show recognisably: the admin
    must say which imported item it is (`critical_map`)."""

    def __init__(
        self, missing: Sequence[MissingCritical], candidates: Sequence[tuple[str, str]]
    ) -> None:
        names = "; ".join(f"{m.label} ({m.text})" for m in missing)
        super().__init__(
            "Questionnaire.item",
            f"the safety item {names} was found neither by its LOINC code nor by its wording "
            "and position: say which imported item it is",
        )
        self.missing = tuple(missing)
        self.candidates = tuple(candidates)  # (linkId, text) of the imported scored items


@dataclass(frozen=True)
class ImportResult:
    definition: dict[str, Any]
    critical: tuple[CriticalFinding, ...]
    notes: tuple[ReportLine, ...]

    @property
    def report(self) -> tuple[ReportLine, ...]:
        """What the admin page shows after an import: each critical item first."""
        return (*(line for c in self.critical for line in _critical_lines(c)), *self.notes)


def _critical_lines(found: CriticalFinding) -> list[ReportLine]:
    params = {"label": found.label, "item": found.link_id}
    if found.how == "loinc":
        how = ReportLine(
            gettext_noop("%(label)s is %(item)s, recognised by its LOINC code %(code)s."),
            {**params, "code": found.code or ""},
        )
    elif found.how == "wording":
        how = ReportLine(
            gettext_noop("%(label)s is %(item)s, recognised by its wording and position."),
            params,
        )
    else:
        how = ReportLine(gettext_noop("%(label)s is %(item)s, mapped by the admin."), params)
    if found.required:
        need = ReportLine(
            gettext_noop(
                "%(item)s (the safety item %(label)s) is a required answer: the source does not "
                "mark it optional."
            ),
            params,
        )
    else:
        need = ReportLine(
            gettext_noop(
                "%(item)s (the safety item %(label)s) is optional in this form: a blank will "
                "raise a 'safety question unanswered' alert."
            ),
            params,
        )
    return [how, need]
