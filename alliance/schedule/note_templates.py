"""The formats a progress note can take, as data: each a key, a name and its fields.

Five ship with Alliance: free text, SOAP, DAP, BIRP and GIRP (the common structures of
behavioural-health documentation). A practice adds its own as `NoteTemplate` rows
(models.py); `practice_format` turns one into the same shape, so the editor, the note page
and the export treat both alike. A note stores its template's key and {field key: text}.

Shipped names and prompts are marked for translation here and translated when shown
(`localized`); a practice's own labels are shown as the admin wrote them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from django.utils.translation import gettext, gettext_noop

PRACTICE_PREFIX = "practice-"
FREE = "free"
SOAP = "soap"
DAP = "dap"


@dataclass(frozen=True)
class NoteField:
    key: str
    label: str
    prompt: str = ""


@dataclass(frozen=True)
class NoteFormat:
    key: str
    name: str
    fields: tuple[NoteField, ...]
    shipped: bool = True

    @property
    def field_keys(self) -> tuple[str, ...]:
        return tuple(field.key for field in self.fields)


_PLAN = NoteField(
    "plan", gettext_noop("Plan"), gettext_noop("Next steps, homework and the next session.")
)
_INTERVENTION = NoteField(
    "intervention",
    gettext_noop("Intervention"),
    gettext_noop("What you did: techniques, exercises, topics worked on."),
)
_RESPONSE = NoteField(
    "response",
    gettext_noop("Response"),
    gettext_noop("How the client responded to the intervention."),
)

SHIPPED: tuple[NoteFormat, ...] = (
    NoteFormat(
        FREE,
        gettext_noop("Free text"),
        (NoteField("text", gettext_noop("Note"), gettext_noop("What happened in the session.")),),
    ),
    NoteFormat(
        SOAP,
        gettext_noop("SOAP (subjective, objective, assessment, plan)"),
        (
            NoteField(
                "subjective",
                gettext_noop("Subjective"),
                gettext_noop("What the client reports, in their words."),
            ),
            NoteField(
                "objective",
                gettext_noop("Objective"),
                gettext_noop("What you observed: presentation, affect, measures."),
            ),
            NoteField(
                "assessment",
                gettext_noop("Assessment"),
                gettext_noop("Your clinical reading of progress and risk."),
            ),
            _PLAN,
        ),
    ),
    NoteFormat(
        DAP,
        gettext_noop("DAP (data, assessment, plan)"),
        (
            NoteField(
                "data",
                gettext_noop("Data"),
                gettext_noop("What was said and observed in the session."),
            ),
            NoteField(
                "assessment",
                gettext_noop("Assessment"),
                gettext_noop("Your interpretation of the data: progress, risk, themes."),
            ),
            _PLAN,
        ),
    ),
    NoteFormat(
        "birp",
        gettext_noop("BIRP (behaviour, intervention, response, plan)"),
        (
            NoteField(
                "behaviour",
                gettext_noop("Behaviour"),
                gettext_noop("The client's presentation and what they reported."),
            ),
            _INTERVENTION,
            _RESPONSE,
            _PLAN,
        ),
    ),
    NoteFormat(
        "girp",
        gettext_noop("GIRP (goals, intervention, response, plan)"),
        (
            NoteField(
                "goals",
                gettext_noop("Goals"),
                gettext_noop("The treatment goals this session worked towards."),
            ),
            _INTERVENTION,
            _RESPONSE,
            _PLAN,
        ),
    ),
)
SHIPPED_BY_KEY = {fmt.key: fmt for fmt in SHIPPED}


def localized(fmt: NoteFormat) -> NoteFormat:
    """A shipped format in the reader's language; a practice's own as it is."""
    if not fmt.shipped:
        return fmt
    return replace(
        fmt,
        name=gettext(fmt.name),
        fields=tuple(
            replace(f, label=gettext(f.label), prompt=gettext(f.prompt)) for f in fmt.fields
        ),
    )


def practice_key(pk: int) -> str:
    return f"{PRACTICE_PREFIX}{pk}"


def practice_pk(key: str) -> int | None:
    """The `NoteTemplate` id in a practice format's key, or None for any other key."""
    digits = key.removeprefix(PRACTICE_PREFIX)
    if digits == key or not digits.isdigit():
        return None
    return int(digits)


def practice_format(pk: int, name: str, labels: Sequence[str]) -> NoteFormat:
    """A practice's template in the shipped shape: its fields keyed f1, f2, ... in order."""
    return NoteFormat(
        practice_key(pk),
        name,
        tuple(NoteField(f"f{i}", label) for i, label in enumerate(labels, start=1)),
        shipped=False,
    )
