from __future__ import annotations

import json
from pathlib import Path

import pytest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from alliance.measures import ScoringError, get_instrument, score_positional
from alliance.measures.fhir import (
    answers_from_response,
    instrument_from_questionnaire,
    observations,
    questionnaire_from_instrument,
    questionnaire_response,
)
from alliance.measures.schema import InstrumentError

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
