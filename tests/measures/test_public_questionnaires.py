"""Real public PHQ-9 and GAD-7 Questionnaires import, and none loses its safety item.

The files and their sources and licences are listed in tests/measures/fixtures/README.md.
Engine tests first (no database), then the admin page and a client's check-in end to end.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from pydantic import ValidationError

from alliance.measures import get_instrument, score, score_positional
from alliance.measures.fhir import (
    CriticalItemNotFound,
    answers_from_response,
    mentions_phq9_item9,
    read_questionnaire,
    same_wording,
)
from alliance.measures.schema import InstrumentError, instrument_from_dict

FIXTURES = Path(__file__).parent / "fixtures"
PHQ9 = get_instrument("phq9")
GAD7 = get_instrument("gad7")
SDC_ITEM9 = "H1/T1/Q9"
# PHQ-9 item 9 in the Spanish version (Pfizer): not recognisable by English wording.
SPANISH_ITEM9 = "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def sdc_with_item9(text: str) -> dict[str, Any]:
    data = load("hl7_sdc_phq9.json")
    for item in data["item"][0]["item"]:
        if item["linkId"] == SDC_ITEM9:
            item["text"] = text
    return data


def lines(result: Any) -> list[str]:
    return [line.text for line in result.report]


# (file, base, number of scored items, the linkId of the safety item or None)
PUBLIC = [
    ("hl7_sdc_phq9.json", "phq9", 9, SDC_ITEM9),
    ("lhcforms_phq9.json", "phq9", 9, "/44260-8"),
    ("lhcforms_argonaut_phq9.json", "phq9", 9, "g1.q9"),
    ("stanford_gad7.json", "gad7", 7, None),
    ("hl7_phr_gad7.json", "gad7", 7, None),
    ("built_gad7_co_value.json", "gad7", 7, None),
]


@pytest.mark.parametrize(("name", "base", "n_items", "safety"), PUBLIC)
def test_each_public_style_imports_and_scores_like_the_shipped_instrument(
    name, base, n_items, safety
):
    shipped = get_instrument(base)
    result = read_questionnaire(load(name), instrument_id="practice", base=shipped)
    instrument = instrument_from_dict(result.definition)
    assert [i.values for i in instrument.scored_items] == [(0, 1, 2, 3)] * n_items
    answers = [1, 2, 3, 0, 1, 2, 3, 0, 1][:n_items]
    ours, theirs = score_positional(instrument, answers), score_positional(shipped, answers)
    assert (ours.total, ours.band, ours.flags) == (theirs.total, theirs.band, theirs.flags)
    assert [c.item for c in instrument.critical_items] == ([safety] if safety else [])


@pytest.mark.parametrize(("name", "safety"), [(p[0], p[3]) for p in PUBLIC if p[3]])
@pytest.mark.parametrize("with_base", [True, False])
def test_every_public_phq9_keeps_item9_as_its_safety_item(name, safety, with_base):
    result = read_questionnaire(load(name), base=PHQ9 if with_base else None)
    instrument = instrument_from_dict(result.definition)
    item9 = {i.id: 0 for i in instrument.scored_items} | {safety: 1}
    assert score(instrument, item9).flags == ("phq9_item9",)
    no_item9 = {i.id: 1 for i in instrument.scored_items} | {safety: 0}
    assert score(instrument, no_item9).flags == ()
    assert [c.link_id for c in result.critical] == [safety]


def test_sdc_phq9_item9_is_found_by_wording_and_position_and_is_required():
    # given the SDC example: no LOINC code on any item and no `required` flag
    data = load("hl7_sdc_phq9.json")
    assert not any("code" in i for i in data["item"][0]["item"][:9])
    # when
    result = read_questionnaire(data, base=PHQ9)
    # then
    (found,) = result.critical
    assert (found.link_id, found.how, found.required) == (SDC_ITEM9, "wording", True)
    assert "PHQ-9 item 9 is H1/T1/Q9, recognised by its wording and position." in lines(result)
    instrument = instrument_from_dict(result.definition)
    assert instrument.item(SDC_ITEM9).required is True


def test_lhcforms_item9_marked_optional_stays_optional_and_the_report_says_what_follows():
    result = read_questionnaire(load("lhcforms_phq9.json"), base=PHQ9)
    (found,) = result.critical
    assert (found.how, found.code, found.required) == ("loinc", "44260-8", False)
    instrument = instrument_from_dict(result.definition)
    assert instrument.item("/44260-8").required is False
    assert instrument.item("/44250-9").required is True
    assert (
        "/44260-8 (the safety item PHQ-9 item 9) is optional in this form: a blank will raise "
        "a 'safety question unanswered' alert." in lines(result)
    )


def test_lhcforms_variable_names_the_r4_model_refuses_are_renamed_and_reported():
    data = load("lhcforms_phq9.json")
    with pytest.raises(ValidationError, match=r"valueExpression\.name"):
        Questionnaire.model_validate(copy.deepcopy(data))  # the problem the practice met
    result = read_questionnaire(data, base=PHQ9)
    renamed = next(line for line in result.notes if "variable names" in line.template)
    assert "q1_value → q1Value" in renamed.params["names"]
    assert "any_questions_answered → anyQuestionsAnswered" in renamed.params["names"]
    assert data["item"][9]["extension"][3]["valueExpression"]["name"] == "q1_value"  # untouched


def test_renamed_variables_are_rewritten_in_every_expression_that_uses_them():
    from alliance.measures.fhir.reading import _normalised

    normalised, _notes = _normalised(load("lhcforms_phq9.json"))
    Questionnaire.model_validate(normalised)
    expressions = [
        e["valueExpression"]
        for item in normalised["item"]
        for e in item.get("extension", [])
        if "valueExpression" in e
    ]
    text = " ".join(e["expression"] for e in expressions)
    assert "%q1_value" not in text and "%any_questions_answered" not in text
    assert "iif(%anyQuestionsAnswered, iif(%q1Value.exists(), %q1Value, 0)" in text
    assert {e.get("name") for e in expressions} >= {"q1Value", "q9Value", "scoreExt"}


def test_argonaut_narrative_without_div_and_value_set_named_by_canonical_are_read():
    data = load("lhcforms_argonaut_phq9.json")
    with pytest.raises(ValidationError, match="div"):
        Questionnaire.model_validate(copy.deepcopy(data))
    result = read_questionnaire(data, base=PHQ9)
    assert any("narrative without its required XHTML div" in line for line in lines(result))
    instrument = instrument_from_dict(result.definition)
    assert instrument.item("g1.q9").values == (0, 1, 2, 3)  # its ValueSet named by its url
    assert [g.id for g in instrument.groups] == ["g1", "g2"]
    assert instrument.item("g2.q1").scored is False


def test_a_loinc_coded_gad7_without_scores_borrows_them_from_the_base_by_answer_code():
    data = load("hl7_phr_gad7.json")
    with pytest.raises(InstrumentError, match="base instrument"):
        read_questionnaire(data)  # nothing to score without a base
    result = read_questionnaire(data, base=GAD7)
    assert any("were taken from GAD-7 by their answer codes" in line for line in lines(result))
    instrument = instrument_from_dict(result.definition)
    assert [o.code for o in instrument.item("69725-0").options] == [
        "LA6568-5",
        "LA6569-3",
        "LA6570-1",
        "LA6571-9",
    ]  # "Asked But Declined" is no option: it reads as a missing answer


def test_a_declined_answer_reads_back_as_missing_and_is_prorated():
    instrument = instrument_from_dict(
        read_questionnaire(load("hl7_phr_gad7.json"), base=GAD7).definition
    )
    declined = {
        "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
        "code": "asked-declined",
    }
    response = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [
            {
                "linkId": item.id,
                "answer": [
                    {"valueCoding": declined}
                    if n == 0
                    else {"valueCoding": {"system": "http://loinc.org", "code": "LA6570-1"}}
                ],
            }
            for n, item in enumerate(instrument.scored_items)
        ],
    }
    answers = answers_from_response(instrument, response)
    assert answers["69725-0"] is None
    result = score(instrument, answers)
    assert result.prorated and result.total == 14  # 6 items x 2, prorated to 7 items


def test_scores_in_the_older_co_value_extension_on_the_coding_are_read():
    result = read_questionnaire(load("built_gad7_co_value.json"), base=GAD7)
    assert any("iso21090-CO-value" in line for line in lines(result))
    assert "/70274-6" not in [i["id"] for i in result.definition["items"]]


# --- when the safety item cannot be recognised -------------------------------------------


def test_a_safety_item_that_cannot_be_recognised_refuses_the_import_naming_it():
    with pytest.raises(CriticalItemNotFound) as refused:
        read_questionnaire(sdc_with_item9(SPANISH_ITEM9), base=PHQ9)
    assert "PHQ-9 item 9" in str(refused.value)
    (missing,) = refused.value.missing
    assert (missing.item, missing.label, missing.code, missing.position) == (
        "phq9_9",
        "PHQ-9 item 9",
        "44260-8",
        9,
    )
    assert (SDC_ITEM9, SPANISH_ITEM9) in refused.value.candidates


def test_wording_alone_is_not_enough_at_another_position():
    data = load("hl7_sdc_phq9.json")
    group = data["item"][0]["item"]
    group.insert(0, group.pop(8))  # item 9's question asked first
    with pytest.raises(CriticalItemNotFound):
        read_questionnaire(data, base=PHQ9)


def test_the_admins_mapping_marks_the_safety_item_and_the_report_says_so():
    result = read_questionnaire(
        sdc_with_item9(SPANISH_ITEM9), base=PHQ9, critical_map={"phq9_9": SDC_ITEM9}
    )
    (found,) = result.critical
    assert (found.link_id, found.how) == (SDC_ITEM9, "admin")
    assert "PHQ-9 item 9 is H1/T1/Q9, mapped by the admin." in lines(result)
    instrument = instrument_from_dict(result.definition)
    assert score(instrument, {i.id: 0 for i in instrument.scored_items} | {SDC_ITEM9: 2}).flags == (
        "phq9_item9",
    )


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"phq9_9": "H1/TS"}, "not a scored item"),  # the calculated total
        ({"phq9_9": "nope"}, "not a scored item"),
        ({"gad7_1": SDC_ITEM9}, "not a critical item of PHQ-9"),
    ],
)
def test_a_mapping_that_cannot_hold_the_safety_item_is_refused(mapping, message):
    with pytest.raises(InstrumentError, match=message):
        read_questionnaire(sdc_with_item9(SPANISH_ITEM9), base=PHQ9, critical_map=mapping)


def test_a_mapping_to_an_item_that_could_never_raise_the_flag_is_refused():
    data = sdc_with_item9(SPANISH_ITEM9)
    value_set = data["contained"][0]["compose"]["include"][0]["concept"]
    data["contained"].append(
        {
            "resourceType": "ValueSet",
            "id": "zero",
            "status": "draft",
            "compose": {
                "include": [
                    {
                        "system": "urn:example",
                        "concept": [
                            {**value_set[0], "code": "a"},
                            {
                                **value_set[0],
                                "code": "b",
                                "extension": [
                                    {**value_set[0]["extension"][0], "valueDecimal": 0.5}
                                ],
                            },
                        ],
                    }
                ]
            },
        }
    )
    data["item"][0]["item"][0]["answerValueSet"] = "#zero"
    with pytest.raises(InstrumentError, match="could never raise the safety flag"):
        read_questionnaire(data, base=PHQ9, critical_map={"phq9_9": "H1/T1/Q1"})


def test_without_a_base_only_the_ninth_of_nine_0_3_items_worded_like_item9_is_flagged():
    assert [c.how for c in read_questionnaire(load("hl7_sdc_phq9.json")).critical] == ["wording"]
    spanish = read_questionnaire(sdc_with_item9(SPANISH_ITEM9))
    assert spanish.critical == () and spanish.definition["critical_items"] == []
    gad7 = read_questionnaire(load("stanford_gad7.json"))
    assert gad7.critical == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thoughts that you would be better off dead or of hurting yourself in some way", True),
        ("Thoughts that you would be better off dead, or thoughts of hurting yourself?", True),
        ("THOUGHTS OF SELF-HARM", True),
        ("Thoughts that you would be better off dead — or of hurting yourself", True),
        ("Feeling bad about yourself - or that you are a failure", False),
        ("Feeling afraid, as if something awful might happen", False),
        (SPANISH_ITEM9, False),
    ],
)
def test_the_item9_wording_matcher(text, expected):
    assert mentions_phq9_item9(text) is expected
    assert same_wording(PHQ9.item("phq9_9"), text) is expected


def test_generic_wording_match_needs_most_words_in_common():
    item = GAD7.item("gad7_1")  # no known phrases: compared word by word
    assert same_wording(item, "Feeling nervous, anxious or on edge?")
    assert not same_wording(item, "Trouble relaxing")


def test_the_real_sdc_response_reads_back_from_its_groups_and_scores():
    instrument = instrument_from_dict(
        read_questionnaire(load("hl7_sdc_phq9.json"), base=PHQ9).definition
    )
    answers = answers_from_response(instrument, load("hl7_sdc_phq9_response.json"))
    assert answers[SDC_ITEM9] == 1 and len(answers) == 9
    result = score(instrument, answers)
    assert (result.total, result.flags) == (10, ("phq9_item9",))


# --- request level: the admin page and a client's check-in --------------------------------

IMPORT_URL = "/checkins/practice/instruments/"


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "base", "n_items", "safety"), PUBLIC)
def test_each_public_file_imports_through_the_admin_page(admin_user, name, base, n_items, safety):
    from alliance.checkins.models import PracticeInstrument
    from tests.conftest import logged_in

    browser = logged_in(admin_user)
    res = browser.post(
        IMPORT_URL,
        {
            "instrument_id": "practice_form",
            "questionnaire": (FIXTURES / name).read_text(),
            "base": base,
        },
    )
    assert res.status_code == 302, res.content[:3000]
    stored = PracticeInstrument.objects.get(instrument_id="practice_form")
    critical = [c["item"] for c in stored.definition["critical_items"]]
    assert critical == ([safety] if safety else [])
    page = browser.get(IMPORT_URL)
    assert b"Import report" in page.content and b"Answer scores" in page.content


@pytest.mark.django_db
def test_refused_import_names_the_item_to_map_then_the_admins_mapping_imports_it(admin_user):
    from alliance.checkins.models import PracticeInstrument
    from tests.conftest import logged_in

    browser = logged_in(admin_user)
    form = {
        "instrument_id": "phq9_es",
        "questionnaire": json.dumps(sdc_with_item9(SPANISH_ITEM9)),
        "base": "phq9",
    }
    # when the safety item cannot be recognised
    refused = browser.post(IMPORT_URL, form)
    # then nothing is stored, and the page names the item and offers the imported items
    assert refused.status_code == 400
    assert not PracticeInstrument.objects.exists()
    page = refused.content.decode()
    assert "the safety item PHQ-9 item 9" in page
    assert "Which imported item is PHQ-9 item 9?" in page
    assert '<select name="map_phq9_phq9_9"' in page
    assert f'<option value="{SDC_ITEM9}">' in page
    # a linkId that is no scored item is refused at that field
    wrong = browser.post(IMPORT_URL, {**form, "map_phq9_phq9_9": "H1/TS"})
    assert wrong.status_code == 400 and "not a scored item" in wrong.content.decode()
    assert not PracticeInstrument.objects.exists()
    # when the admin says which item it is
    done = browser.post(IMPORT_URL, {**form, "map_phq9_phq9_9": SDC_ITEM9})
    # then
    assert done.status_code == 302, done.content[:3000]
    stored = PracticeInstrument.objects.get(instrument_id="phq9_es")
    assert stored.definition["critical_items"][0]["item"] == SDC_ITEM9
    after = browser.get(IMPORT_URL).content.decode()
    assert "PHQ-9 item 9 is H1/T1/Q9, mapped by the admin." in after


@pytest.mark.django_db
def test_positive_safety_item_of_an_imported_phq9_raises_the_crisis_path_end_to_end(
    admin_user, partnership, client_user, their_therapist, on_call_therapist
):
    from django.urls import reverse

    from alliance.checkins import services
    from alliance.checkins.models import Alert
    from tests.checkins.conftest import checkin_post, good_checkin
    from tests.conftest import logged_in

    # given the SDC PHQ-9 (no LOINC codes, items in a group) imported on the admin page
    res = logged_in(admin_user).post(
        IMPORT_URL,
        {
            "instrument_id": "sdc_phq9",
            "questionnaire": (FIXTURES / "hl7_sdc_phq9.json").read_text(),
            "base": "phq9",
        },
    )
    assert res.status_code == 302, res.content[:3000]
    services.set_outcome_schedule(
        partnership=partnership, instruments=["sdc_phq9"], every_n_sessions=1, actor=their_therapist
    )
    checkin = services.request_checkin(partnership=partnership)
    assert "sdc_phq9" in checkin.instruments
    # when the client answers item 9 above "Not at all" through the real form
    browser = logged_in(client_user)
    url = reverse("checkins:fill", args=[checkin.pk])
    browser.post(url, checkin_post("alliance_checkin", good_checkin(6), key="a"))
    form = browser.get(f"{url}?instrument=sdc_phq9").content.decode()
    assert 'name="item_H1/T1/Q9"' in form
    answers = {f"H1/T1/Q{i}": 0 for i in range(1, 9)} | {SDC_ITEM9: 1}
    page = browser.post(url, checkin_post("sdc_phq9", answers, key="b"))
    # then the crisis panel is in this very response and a safety alert is open
    assert page.status_code == 200, page.content[:3000]
    assert b'class="crisis"' in page.content
    assert b"We have let your therapist and our on-call clinician know" in page.content
    alert = Alert.objects.get(kind="safety")
    assert alert.is_open
    # and the response exports as FHIR citing the source, in its group, with its codings
    from alliance.checkins.models import Response

    response = Response.objects.get(instrument_id="sdc_phq9")
    bundle = json.loads(
        logged_in(their_therapist).get(f"/checkins/responses/{response.pk}/fhir/").content
    )
    qr = bundle["entry"][0]["resource"]
    assert qr["questionnaire"] == (
        "http://hl7.org/fhir/uv/sdc/Questionnaire/questionnaire-sdc-profile-example-PHQ9|0.0.1"
    )
    (group,) = qr["item"]
    assert group["linkId"] == "H1/T1" and len(group["item"]) == 9
    item9 = next(i for i in group["item"] if i["linkId"] == SDC_ITEM9)
    assert item9["answer"][0]["valueCoding"] == {
        "system": "http://hl7.org/fhir/uv/sdc/CodeSystem/CSPHQ9",
        "code": "Several-days",
        "display": "Several days",
    }
    assert all(
        e["fullUrl"].endswith(f"/fhir/{e['resource']['resourceType']}/{e['resource']['id']}")
        for e in bundle["entry"]
    )
