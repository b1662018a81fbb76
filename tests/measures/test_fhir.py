from __future__ import annotations

import json
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from alliance.measures import ScoringError, get_instrument, score, score_positional
from alliance.measures.fhir import (
    ALLIANCE_SYSTEM,
    answers_from_response,
    collection_bundle,
    definition_from_questionnaire,
    instrument_from_questionnaire,
    observations,
    questionnaire_from_instrument,
    questionnaire_response,
)
from alliance.measures.schema import InstrumentError, instrument_from_dict

HERE = Path(__file__).parent
PHQ9 = get_instrument("phq9")
ANSWERS = [1, 2, 3, 0, 1, 2, 3, 0, 1]


def _fixture(name: str) -> dict:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


@pytest.fixture(params=["fhir_phq9_answer_options.json", "fhir_phq9_contained_valueset.json"])
def public_form(request: pytest.FixtureRequest) -> dict:
    return _fixture(request.param)


def test_both_public_phq9_styles_import_to_the_same_scoring():
    options = instrument_from_questionnaire(_fixture("fhir_phq9_answer_options.json"), base=PHQ9)
    valueset = instrument_from_questionnaire(
        _fixture("fhir_phq9_contained_valueset.json"), base=PHQ9
    )
    shipped = score_positional(PHQ9, ANSWERS)
    for instrument in (options, valueset):
        result = score_positional(instrument, ANSWERS)
        assert (result.total, result.band, result.flags, result.caseness) == (
            shipped.total,
            shipped.band,
            shipped.flags,
            shipped.caseness,
        )
        assert [i.low for i in instrument.scored_items] == [0] * 9
        assert [i.high for i in instrument.scored_items] == [3] * 9


def test_calculated_total_and_display_items_are_never_answers(public_form):
    instrument = instrument_from_questionnaire(public_form)
    ids = [item.id for item in instrument.items]
    assert not any("44261-6" in i or "total" in i or i == "instructions" for i in ids)
    assert len(instrument.scored_items) == 9
    assert instrument.loinc_total == "44261-6"
    assert instrument.loinc_panel == "44249-1"


def test_choice_items_without_scores_are_kept_unscored():
    instrument = instrument_from_questionnaire(_fixture("fhir_phq9_answer_options.json"))
    difficulty = instrument.item("/69722-7")
    assert difficulty.scored is False


def test_item9_stays_critical_after_import_even_without_a_base(public_form):
    instrument = instrument_from_questionnaire(public_form)
    assert score_positional(instrument, [0] * 8 + [2]).flags == ("phq9_item9",)


def test_value_set_scores_may_use_ordinal_value_or_item_weight():
    data = _fixture("fhir_phq9_contained_valueset.json")
    urls = {
        ext["url"].rsplit("/", 1)[-1]
        for concept in data["contained"][0]["compose"]["include"][0]["concept"]
        for ext in concept["extension"]
    }
    assert urls == {"ordinalValue", "itemWeight"}
    instrument = instrument_from_questionnaire(data)
    assert instrument.item("phq-9-1").values == (0, 1, 2, 3)


def test_answer_value_set_must_be_contained():
    data = _fixture("fhir_phq9_contained_valueset.json")
    data["item"][0]["item"][1]["answerValueSet"] = "http://loinc.org/vs/LL358-3"
    with pytest.raises(InstrumentError, match="contained"):
        instrument_from_questionnaire(data)


def test_invalid_fhir_is_rejected_by_the_r4b_model():
    with pytest.raises(ValueError):
        instrument_from_questionnaire({"resourceType": "Questionnaire", "item": "nope"})


def test_response_and_observation_export_validate_and_link():
    # given
    result = score_positional(PHQ9, ANSWERS)
    # when
    response = questionnaire_response(PHQ9, result, response_id="resp-1", subject="Patient/p1")
    obs = observations(PHQ9, result, response_id="resp-1", subject="Patient/p1")
    # then
    QuestionnaireResponse.model_validate(response)
    assert response["status"] == "completed"
    assert response["item"][0]["answer"][0]["valueCoding"]["code"] == "LA6569-3"
    assert len(obs) == 1
    total = Observation.model_validate(obs[0])
    assert total.code.coding[0].code == "44261-6"
    assert obs[0]["valueInteger"] == 13
    assert obs[0]["derivedFrom"] == [{"reference": "QuestionnaireResponse/resp-1"}]


def test_gad7_total_observation_uses_loinc_70274_6():
    gad7 = get_instrument("gad7")
    obs = observations(gad7, score_positional(gad7, [1] * 7), response_id="g")
    assert obs[0]["code"]["coding"][0]["code"] == "70274-6"


def test_checkin_subscales_export_as_quantities():
    checkin = get_instrument("alliance_checkin")
    result = score_positional(checkin, [6, 5, 4, 4, 6, 5])
    obs = observations(checkin, result, response_id="c")
    assert [o["id"] for o in obs] == ["c-total", "c-goal", "c-task", "c-bond"]
    assert obs[1]["valueQuantity"]["value"] == 5.5


def test_free_text_can_be_left_out_of_the_exported_response():
    checkin = get_instrument("alliance_checkin")
    result = score_positional(checkin, [6, 5, 4, 4, 6, 5, "Be on time."])
    kept = questionnaire_response(checkin, result, response_id="x")
    dropped = questionnaire_response(checkin, result, response_id="x", include_free_text=False)
    assert any(i["linkId"] == "better_today" for i in kept["item"])
    assert not any(i["linkId"] == "better_today" for i in dropped["item"])


def test_response_round_trips_to_the_same_answers():
    result = score_positional(PHQ9, [*ANSWERS, 2])
    response = questionnaire_response(PHQ9, result, response_id="r")
    assert answers_from_response(PHQ9, response) == dict(result.answers)


def test_unknown_answer_code_in_a_response_names_the_item():
    result = score_positional(PHQ9, ANSWERS)
    response = questionnaire_response(PHQ9, result, response_id="r")
    response["item"][1]["answer"][0]["valueCoding"]["code"] = "LA0000-0"
    with pytest.raises(ScoringError, match="phq9_2"):
        answers_from_response(PHQ9, response)


@pytest.mark.parametrize("instrument_id", ["phq9", "gad7", "alliance_checkin"])
def test_exported_questionnaire_validates_and_reimports_to_the_same_scoring(instrument_id):
    instrument = get_instrument(instrument_id)
    exported = questionnaire_from_instrument(instrument)
    Questionnaire.model_validate(exported)
    again = instrument_from_questionnaire(exported, base=instrument)
    answers = [1] * len(instrument.scored_items)
    assert score_positional(again, answers).total == score_positional(instrument, answers).total
    assert [i.id for i in again.scored_items] == [i.id for i in instrument.scored_items]


# --- round trips: fullUrl, canonical, codings, groups, prorated totals ---------------------

FIXTURES = HERE / "fixtures"
SDC = "http://hl7.org/fhir/uv/sdc/Questionnaire/questionnaire-sdc-profile-example-PHQ9"
CSPHQ9 = "http://hl7.org/fhir/uv/sdc/CodeSystem/CSPHQ9"


def _sdc_phq9():
    data = json.loads((FIXTURES / "hl7_sdc_phq9.json").read_text(encoding="utf-8"))
    return instrument_from_questionnaire(data, instrument_id="sdc_phq9", base=PHQ9)


def test_bundle_entries_have_full_urls_that_the_relative_references_resolve_to():
    result = score_positional(PHQ9, ANSWERS)
    qr = questionnaire_response(PHQ9, result, response_id="r-1")
    obs = observations(PHQ9, result, response_id="r-1")
    bundle = collection_bundle([qr, *obs], base="https://practice.example/fhir/")
    Bundle.model_validate(bundle)
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert urls == [
        "https://practice.example/fhir/QuestionnaireResponse/r-1",
        "https://practice.example/fhir/Observation/r-1-total",
    ]
    # FHIR resolves a relative reference against the base of the entry's fullUrl
    derived = bundle["entry"][1]["resource"]["derivedFrom"][0]["reference"]
    assert f"https://practice.example/fhir/{derived}" == urls[0]


def test_a_shipped_instrument_cites_our_own_canonical_as_its_questionnaire_does():
    response = questionnaire_response(PHQ9, score_positional(PHQ9, ANSWERS), response_id="r")
    assert response["questionnaire"] == "urn:alliance:questionnaire:phq9|1"
    exported = questionnaire_from_instrument(PHQ9)
    assert f"{exported['url']}|{exported['version']}" == response["questionnaire"]
    assert "derivedFrom" not in exported


def test_an_imported_response_cites_the_source_keeps_its_codings_and_its_groups():
    # given the HL7 SDC PHQ-9: its own CodeSystem, items in the group H1/T1
    sdc = _sdc_phq9()
    result = score_positional(sdc, ANSWERS)
    # when
    response = questionnaire_response(sdc, result, response_id="r")
    # then
    QuestionnaireResponse.model_validate(response)
    assert response["questionnaire"] == f"{SDC}|0.0.1"
    (group,) = response["item"]
    assert (group["linkId"], group["text"][:20]) == ("H1/T1", "Over the last two we")
    assert [i["linkId"] for i in group["item"]] == [f"H1/T1/Q{n}" for n in range(1, 10)]
    codings = [i["answer"][0]["valueCoding"] for i in group["item"]]
    assert {c["system"] for c in codings} == {CSPHQ9}
    assert codings[0]["code"] == "Several-days" and codings[2]["code"] == "Nearly every day"
    assert ALLIANCE_SYSTEM not in json.dumps(response)


def test_an_imported_response_reads_back_to_the_same_answers():
    sdc = _sdc_phq9()
    result = score_positional(sdc, ANSWERS)
    response = questionnaire_response(sdc, result, response_id="r")
    assert answers_from_response(sdc, response) == dict(result.answers)
    assert score(sdc, answers_from_response(sdc, response)).flags == ("phq9_item9",)


def test_an_answer_coded_in_another_system_is_not_taken_for_an_option():
    sdc = _sdc_phq9()
    response = questionnaire_response(sdc, score_positional(sdc, ANSWERS), response_id="r")
    response["item"][0]["item"][0]["answer"][0]["valueCoding"]["system"] = "http://loinc.org"
    with pytest.raises(ScoringError, match="H1/T1/Q1"):
        answers_from_response(sdc, response)


def test_the_exported_questionnaire_of_an_import_keeps_groups_codings_and_its_source():
    sdc = _sdc_phq9()
    exported = questionnaire_from_instrument(sdc)
    Questionnaire.model_validate(exported)
    assert exported["url"] == "urn:alliance:questionnaire:sdc_phq9"
    assert exported["derivedFrom"] == [f"{SDC}|0.0.1"]
    group, total = exported["item"]
    assert group["type"] == "group" and len(group["item"]) == 9 and total["readOnly"]
    assert group["item"][8]["answerOption"][1]["valueCoding"]["system"] == CSPHQ9
    # and it imports again to the same form: groups, codings, safety item, scores
    again = instrument_from_questionnaire(exported, base=PHQ9)
    assert [(i.id, i.group) for i in again.items] == [(i.id, i.group) for i in sdc.items]
    assert [o.system for o in again.item("H1/T1/Q9").options] == [CSPHQ9] * 4
    assert [c.item for c in again.critical_items] == ["H1/T1/Q9"]
    assert score_positional(again, ANSWERS).total == score_positional(sdc, ANSWERS).total


def test_a_prorated_total_is_marked_by_its_method_and_a_note():
    # given PHQ-9 with item 8 unanswered
    result = score(PHQ9, {f"phq9_{n}": 2 for n in range(1, 8)} | {"phq9_9": 0})
    assert result.prorated
    # when
    (total,) = observations(PHQ9, result, response_id="p")
    # then
    Observation.model_validate(total)
    assert total["method"]["coding"] == [
        {"system": ALLIANCE_SYSTEM, "code": "prorated", "display": "Prorated"}
    ]
    assert "8 of 9 scored items answered (missing: phq9_8)" in total["note"][0]["text"]
    whole = observations(PHQ9, score_positional(PHQ9, ANSWERS), response_id="w")[0]
    assert "method" not in whole and "note" not in whole


def test_only_the_subscale_that_lost_an_item_is_marked_prorated():
    checkin = get_instrument("alliance_checkin")
    goal_missing = score(checkin, {"goal_1": 6, "task_1": 5, "task_2": 5, "bond_1": 4, "bond_2": 4})
    obs = {o["id"]: o for o in observations(checkin, goal_missing, response_id="c")}
    assert "method" in obs["c-total"] and "method" in obs["c-goal"]
    assert "method" not in obs["c-task"] and "method" not in obs["c-bond"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["items"][0].update(group="nope"), "unknown group 'nope'"),
        (
            lambda d: d["groups"].insert(0, {"id": "inner", "text": "x", "parent": "H1/T1"}),
            "not a group declared before",
        ),
        (
            lambda d: d["groups"].append({"id": "H1/T1/Q1", "text": "x"}),
            "already an item or group id",
        ),
        (lambda d: d["source_questionnaire"].update(url=f"{SDC}|2"), "without a version"),
    ],
)
def test_groups_and_the_source_canonical_are_validated(change, message):
    data = json.loads((FIXTURES / "hl7_sdc_phq9.json").read_text(encoding="utf-8"))
    definition = definition_from_questionnaire(data, base=PHQ9)
    change(definition)
    with pytest.raises(InstrumentError, match=message):
        instrument_from_dict(definition)
