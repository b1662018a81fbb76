from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from alliance.measures import get_instrument, instrument_ids, score
from alliance.measures.registry import load_instrument_file
from alliance.measures.schema import InstrumentError, instrument_from_dict

from .madeup import four_line_rating, twelve_item_alliance


def test_shipped_instruments_are_phq9_gad7_and_both_checkin_forms():
    assert set(instrument_ids()) >= {
        "phq9",
        "gad7",
        "alliance_checkin",
        "alliance_checkin_therapist",
    }


@pytest.mark.parametrize(
    "instrument_id", ["phq9", "gad7", "alliance_checkin", "alliance_checkin_therapist"]
)
def test_every_shipped_instrument_validates_and_names_its_licence_and_sources(instrument_id):
    instrument = get_instrument(instrument_id)
    assert instrument.licence and instrument.credit and instrument.sources
    assert all(item.text["en"] for item in instrument.items)
    assert all(source for source in instrument.languages.values())


def test_phq9_carries_loinc_codes_bands_and_item9_as_critical():
    phq9 = get_instrument("phq9")
    assert (phq9.loinc_panel, phq9.loinc_total) == ("44249-1", "44261-6")
    assert [o.code for o in phq9.items[0].options] == [
        "LA6568-5",
        "LA6569-3",
        "LA6570-1",
        "LA6571-9",
    ]
    # Kroenke et al. 2001 bands: 0-4, 5-9, 10-14, 15-19, 20-27.
    assert [(b.min, b.max) for b in phq9.bands] == [(0, 4), (5, 9), (10, 14), (15, 19), (20, 27)]
    assert (phq9.total_min, phq9.total_max) == (0, 27)
    assert phq9.critical_items[0].item == "phq9_9"
    assert phq9.critical_items[0].flag == "phq9_item9"


def test_gad7_carries_loinc_codes_and_spitzer_bands():
    gad7 = get_instrument("gad7")
    assert (gad7.loinc_panel, gad7.loinc_total) == ("69737-5", "70274-6")
    assert [(b.min, b.max) for b in gad7.bands] == [(0, 4), (5, 9), (10, 14), (15, 21)]


def test_checkin_is_marked_as_the_projects_own_unvalidated_measure():
    for instrument_id in ("alliance_checkin", "alliance_checkin_therapist"):
        checkin = get_instrument(instrument_id)
        assert checkin.validated is False
        assert checkin.own_measure is True
        assert {s.id for s in checkin.subscales} == {"goal", "task", "bond"}
        assert all(len(s.items) >= 2 for s in checkin.subscales)


def test_checkin_forms_mirror_each_other_so_subscales_compare():
    client = get_instrument("alliance_checkin")
    therapist = get_instrument("alliance_checkin_therapist")
    assert therapist.mirror_of == client.id
    assert [i.id for i in client.items] == [i.id for i in therapist.items]
    assert [(s.id, s.items, s.min, s.max) for s in client.subscales] == [
        (s.id, s.items, s.min, s.max) for s in therapist.subscales
    ]


def test_checkin_free_text_item_is_optional_and_never_scored():
    checkin = get_instrument("alliance_checkin")
    comment = checkin.item("better_today")
    assert comment.kind == "text" and not comment.scored and not comment.required
    assert comment.text["en"] == "What could have been better today?"


def test_schema_expresses_a_twelve_item_alliance_form_with_reverse_keying():
    # given a made-up instrument with the WAI-SR shape (invented text)
    instrument = instrument_from_dict(twelve_item_alliance())
    # when everyone answers 5 (item 5 is reverse keyed: 5 -> 1)
    result = score(instrument, {f"m{n}": 5 for n in range(1, 13)})
    # then
    assert (instrument.total_min, instrument.total_max) == (12, 60)
    assert result.total == 56
    assert result.subscales == {"task": 20, "bond": 16, "goal": 20}
    assert result.caseness is False  # higher is better; cut-off 36


def test_schema_expresses_visual_analogue_items_with_a_cutoff():
    instrument = instrument_from_dict(four_line_rating())
    result = score(instrument, {"line1": 5.5, "line2": 6.2, "line3": 4.0, "line4": 7.3})
    assert result.total == pytest.approx(23.0)
    assert result.caseness is True


def test_instrument_file_can_be_loaded_from_disk(tmp_path: Path):
    path = tmp_path / "practice.json"
    path.write_text(json.dumps(twelve_item_alliance()), encoding="utf-8")
    assert load_instrument_file(path).id == "madeup_alliance12"


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d.pop("missing"), "$.missing: is required"),
        (lambda d: d["items"].append(dict(d["items"][0])), "item ids must be unique"),
        (lambda d: d["total"].update(range=[0, 60]), "$.total.range"),
        (lambda d: d["subscales"][0]["items"].append("nope"), "'nope' is not a scored item"),
        (lambda d: d["missing"].update(max_missing=12), "at least one item answered"),
        (lambda d: d["items"][0].update(response_set="other"), "unknown response set"),
        (lambda d: d["items"][0].update(text={"de": "x"}), '"en" entry'),
        (lambda d: d["items"][0].update(text={"en": "x", "fr": "y"}), "no named source"),
        (lambda d: d.update(validated="yes"), "$.validated: must be true or false"),
        (
            lambda d: d["items"].append({"id": "t", "kind": "text", "text": "x", "scored": True}),
            "free-text items are never scored",
        ),
    ],
)
def test_invalid_definitions_are_rejected_with_path_and_rule(mutate, fragment):
    data = copy.deepcopy(twelve_item_alliance())
    mutate(data)
    with pytest.raises(InstrumentError) as excinfo:
        instrument_from_dict(data)
    assert fragment in str(excinfo.value)


def test_overlapping_bands_are_rejected():
    data = copy.deepcopy(twelve_item_alliance())
    data["bands"] = [{"code": "a", "min": 12, "max": 30}, {"code": "b", "min": 30, "max": 60}]
    with pytest.raises(InstrumentError, match="without overlap"):
        instrument_from_dict(data)


def test_shipped_files_contain_no_licensed_instrument_text():
    folder = Path(__file__).resolve().parents[2] / "alliance" / "measures" / "instruments"
    text = " ".join(p.read_text(encoding="utf-8") for p in folder.glob("*.json")).lower()
    for name in ("wai-sr", "working alliance inventory", "session rating scale", "core-10"):
        assert name not in text
