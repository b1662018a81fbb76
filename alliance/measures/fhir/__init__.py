"""HL7 FHIR (R4B, which reads the public R4 forms) import and export for instruments.

Import (`read_questionnaire`, in `importing.py`): a FHIR `Questionnaire` becomes an instrument
definition plus an import report (`report.py`) that says what was read and how. Answer scores
come from the `ordinalValue` extension (R4), `itemWeight` (R5) or the older
`iso21090-CO-value`, on each answerOption, on its Coding, or on the concepts of a contained
ValueSet named by `answerValueSet` (`reading.py`). Groups are kept (responses are exported in
the same nesting). Display items, calculated items (SDC `calculatedExpression`, e.g. a total)
and read-only items are never answers; choice items without scores are kept but unscored. Two
things public files do that the R4 model refuses are normalised first, and reported: FHIRPath
variable names that are not FHIR ids (LHC-Forms writes `q1_value`) and narratives without
their XHTML `div` (Argonaut examples).

A safety (critical) item is never lost (`critical.py`): each critical item of the base
instrument is found by its LOINC code, else by its position and wording, else by the admin's
mapping; otherwise the import is refused with `CriticalItemNotFound`, naming the item to map.

Export (`export.py`): an instrument as a `Questionnaire`, a scored response as a
`QuestionnaireResponse` citing the source's canonical URL, each total (and subscale) as an
`Observation` whose `derivedFrom` points at the response, and a `collection` Bundle of them
with a `fullUrl` per entry. Every resource is validated by building the `fhir.resources.R4B`
model before it is returned.

The shared code systems, extension URLs and helpers are in `_common.py`.
"""

from __future__ import annotations

from alliance.measures.fhir._common import ALLIANCE_SYSTEM
from alliance.measures.fhir.critical import mentions_phq9_item9, same_wording
from alliance.measures.fhir.export import (
    canonical,
    collection_bundle,
    observations,
    own_canonical,
    questionnaire_from_instrument,
    questionnaire_response,
)
from alliance.measures.fhir.importing import (
    answers_from_response,
    definition_from_questionnaire,
    instrument_from_questionnaire,
    read_questionnaire,
)
from alliance.measures.fhir.report import (
    CriticalFinding,
    CriticalItemNotFound,
    ImportResult,
    MissingCritical,
    ReportLine,
)

__all__ = [
    "ALLIANCE_SYSTEM",
    "CriticalFinding",
    "CriticalItemNotFound",
    "ImportResult",
    "MissingCritical",
    "ReportLine",
    "answers_from_response",
    "canonical",
    "collection_bundle",
    "definition_from_questionnaire",
    "instrument_from_questionnaire",
    "mentions_phq9_item9",
    "observations",
    "own_canonical",
    "questionnaire_from_instrument",
    "questionnaire_response",
    "read_questionnaire",
    "same_wording",
]
