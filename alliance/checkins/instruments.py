"""Instrument look-up: the shipped files first, then the practice's own (DB) instruments."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import get_language

from alliance.checkins.models import CHECKIN, CHECKIN_THERAPIST, PracticeInstrument
from alliance.measures.instrument import Instrument
from alliance.measures.registry import get_instrument, instrument_ids
from alliance.measures.schema import instrument_from_dict

ALLIANCE_FORMS = {"client": CHECKIN, "therapist": CHECKIN_THERAPIST}


class UnknownInstrument(LookupError):
    pass


def instrument(instrument_id: str) -> Instrument:
    if instrument_id in instrument_ids():
        return get_instrument(instrument_id)
    found = PracticeInstrument.objects.filter(instrument_id=instrument_id).first()
    if found is None:
        raise UnknownInstrument(f"unknown instrument {instrument_id!r}")
    return instrument_from_dict(found.definition)


def outcome_instrument_ids() -> list[str]:
    shipped = [i for i in instrument_ids() if get_instrument(i).kind == "outcome"]
    practice = list(
        PracticeInstrument.objects.order_by("instrument_id").values_list("instrument_id", flat=True)
    )
    return shipped + [p for p in practice if p not in shipped]


def localized(mapping: Mapping[str, str]) -> str:
    """A definition's text in the active language, else English, else whichever it has."""
    lang = (get_language() or "en")[:2]
    return str(mapping.get(lang) or mapping.get("en") or next(iter(mapping.values()), ""))


def band_label(inst: Instrument, code: str | None) -> str:
    """A severity band as people read it ("Moderately severe"), not its stored code."""
    for band in inst.bands:
        if band.code == code:
            return localized(band.label)
    return code or ""
