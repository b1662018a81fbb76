"""Instrument look-up: the shipped files first, then the practice's own (DB) instruments."""

from __future__ import annotations

from alliance.checkins.models import CHECKIN, CHECKIN_THERAPIST, PracticeInstrument
from alliance.measures.registry import get_instrument, instrument_ids
from alliance.measures.schema import Instrument, instrument_from_dict

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
