"""Everything a Spanish-speaking person sees is in Spanish: the catalogue has no empty or
fuzzy entry; the help page and the crisis box share no sentence with their English
rendering (names and numbers aside); stored English texts (alert explanations and evidence,
saved journal prompts, licence types) are shown in Spanish; numbers follow the locale."""

from __future__ import annotations

import re
from dataclasses import asdict
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.utils import timezone, translation

from tests.conftest import logged_in
from tests.core.test_i18n import LOCALE, msgstrs, parse_po, translatable

pytestmark = pytest.mark.django_db

CRISIS = "I want to end my life"
# Names and words that are the same in both languages.
NAMES = ["988 Suicide & Crisis Lifeline", "Find A Helpline", "findahelpline.com", "Alliance"]


# --- the catalogue --------------------------------------------------------------------


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_no_untranslated_or_fuzzy_entry(domain):
    entries = translatable(parse_po(LOCALE / "es" / "LC_MESSAGES" / f"{domain}.po"))
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e.get("flags", set())]  # type: ignore[operator]
    empty = [e["msgid"] for e in entries if not all(t.strip() for t in msgstrs(e))]
    assert not fuzzy and not empty, (fuzzy, empty)


# --- visible text ---------------------------------------------------------------------


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "svg", "template"):
            self.skip += 1
        self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "svg", "template") and self.skip:
            self.skip -= 1
        self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def sentences(html: str, names: list[str]) -> set[str]:
    """Runs of 4+ words in the visible text, split at punctuation, names and numbers taken
    out."""
    parser = _Text()
    parser.feed(html)
    text = "".join(parser.parts)
    for name in names:
        text = text.replace(name, "\n")
    found = set()
    for piece in re.split(r"[\n.;:!?()—·,«»\"“”]+", text):
        words = [w for w in piece.split() if re.search(r"[^\W\d_]", w)]
        if len(words) >= 4:
            found.add(" ".join(words).lower())
    return found


def shared_english(spanish: str, english: str, names: list[str]) -> set[str]:
    return sentences(spanish, names) & sentences(english, names)


def _browser(user, language):
    browser = logged_in(user)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return browser


def test_help_page_is_all_spanish(client_user):
    names = [*NAMES, client_user.name]
    for get in (
        lambda lang: _browser(client_user, lang).get("/help/"),
        lambda lang: _anonymous(lang).get("/help/"),
    ):
        spanish, english = get("es").content.decode(), get("en").content.decode()
        assert '<html lang="es">' in spanish and "Busca ayuda ahora" in spanish
        assert not shared_english(spanish, english, names)


def _anonymous(language):
    from django.test import Client

    browser = Client()
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return browser


def test_988_is_shown_with_its_official_spanish_option(client_user):
    page = _browser(client_user, "es").get("/help/").content.decode()
    assert "988 Suicide &amp; Crisis Lifeline" in page  # the service's official name
    assert "Llama o envía un mensaje de texto al 988" in page
    assert "oprime 2" in page and "AYUDA" in page
    english = _browser(client_user, "en").get("/help/").content.decode()
    assert "Call or text 988" in english and "AYUDA" not in english


def test_canadas_988_gets_no_us_spanish_option():
    from alliance.core.crisis import resources_for
    from alliance.directory.models import Jurisdiction

    ontario = Jurisdiction(
        code="CA-ON",
        name="Ontario",
        country="CA",
        crisis_resources=[{"name": "9-8-8 Suicide Crisis Helpline", "contact": "Call or text 988"}],
    )
    with translation.override("es"):
        (line, *_fallback) = resources_for(ontario)
    assert line["contact"] == "Llama o envía un mensaje de texto al 988"


def test_a_resource_can_carry_its_own_spanish_wording():
    from alliance.core.crisis import resources_for
    from alliance.directory.models import Jurisdiction

    place = Jurisdiction(
        code="XX",
        name="X",
        country="XX",
        crisis_resources=[
            {"name": "Line", "contact": "Dial 555", "note": "nights", "es": {"note": "noches"}}
        ],
    )
    with translation.override("es"):
        line = resources_for(place)[0]
    assert line == {"name": "Line", "contact": "Dial 555", "note": "noches"}


def test_crisis_box_is_all_spanish(partnership, client_user):
    names = [*NAMES, client_user.name, partnership.therapist.name, CRISIS]  # theirs
    pages = {}
    for lang in ("es", "en"):
        response = _browser(client_user, lang).post("/journal/", {"body": CRISIS, "share": "on"})
        pages[lang] = response.content.decode()
    assert "No tienes que pasar por esto en soledad" in pages["es"]
    assert not shared_english(pages["es"], pages["en"], names)


# --- stored English texts -------------------------------------------------------------


def _bond_alert(partnership):
    from alliance.checkins.models import Alert
    from alliance.measures.alerts.model import Evidence

    now = timezone.now()
    evidence = [
        Evidence("checkin", "bond", 0.33, 4, 0.4, "in the weak band"),
        Evidence("checkin", "bond baseline", 0.83, None, None, "drop from baseline"),
        Evidence("checkin", "bond", 0.33, 4, 0.58, "drop from baseline"),
        Evidence("attendance", "no_show", "no_show", 3),
        Evidence("checkin", "skipped check-in", "skipped", 2),
        Evidence(
            "checkin", "goal gap (therapist - client)", 0.5, 4, 0.25, "client 0.33, therapist 0.83"
        ),
        Evidence("outcome", "phq9 first", 14, 1, 10, "at caseness"),
        Evidence("outcome", "phq9 latest", 13, 6, 6, "change below the reliable-change threshold"),
    ]
    return Alert.objects.create(
        client=partnership.client,
        partnership=partnership,
        kind="bond",
        severity="high",
        severity_rank=3,
        pillar="bond",
        evidence=[asdict(e) for e in evidence],
        explanation=(
            "The client may be feeling misunderstood, judged or less connected: the latest bond "
            "rating (0.33) is in the practice's weak band; bond fell from the client's own "
            "baseline 0.83 to 0.33."
        ),
        repair_actions=[],
        created_at=now,
        updated_at=now,
    )


ENGLISH_EVIDENCE = [
    "bond baseline",
    "in the weak band",
    "drop from baseline",
    "no show",
    "skipped check-in",
    "therapist - client",
    "PHQ-9 first",
    "at caseness",
    "reliable-change threshold",
    "may be feeling misunderstood",
]


def test_alert_page_in_spanish_has_no_english_evidence(partnership, their_therapist):
    alert = _bond_alert(partnership)
    url = f"/checkins/alerts/{alert.pk}/"
    english = _browser(their_therapist, "en").get(url).content.decode()
    assert all(words in english for words in ENGLISH_EVIDENCE)
    spanish = _browser(their_therapist, "es").get(url).content.decode()
    for words in ENGLISH_EVIDENCE:
        assert words not in spanish, words
    assert "Puede que el cliente se sienta incomprendido" in spanish
    assert "línea base del vínculo" in spanish and "primera puntuación del PHQ-9" in spanish
    # numbers follow the locale, in the explanation and in every cell
    assert "(0,33)" in spanish and "0.33" not in spanish and "0.83" not in spanish
    names = [partnership.client.name, their_therapist.name, *NAMES, "PHQ-9"]
    assert not shared_english(spanish, english, names)


def test_unknown_explanation_is_shown_whole_as_stored():
    from alliance.checkins.models import Alert

    with translation.override("es"):
        assert Alert(explanation="Something new: a reason.").explanation_text == (
            "Something new: a reason."
        )


def test_saved_journal_prompts_are_shown_in_the_readers_language(partnership, client_user):
    from alliance.journal.models import JournalEntry

    browser = _browser(client_user, "en")
    browser.post("/journal/", {"body": "A walk.", "prompt": "helped"})
    entry = JournalEntry.objects.get(client=client_user)
    assert entry.prompt == "Something that helped, even a little"
    spanish = _browser(client_user, "es").get(f"/journal/entries/{entry.pk}/").content.decode()
    assert "Something that helped" not in spanish
    with translation.override("es"):
        label = entry.prompt_label
    assert label and label != entry.prompt and label in spanish
    # a prompt saved in Spanish reads in English for an English reader
    entry.prompt = label
    with translation.override("en"):
        assert entry.prompt_label == "Something that helped, even a little"


def test_goal_prompt_keeps_the_goals_own_title():
    from alliance.journal.prompts import shown

    with translation.override("es"):
        text = shown("A step, however small, towards my goal: Sleep better")
    assert text and text.endswith(": Sleep better") and not text.startswith("A step")
    assert shown("A therapist's own question?") == "A therapist's own question?"


def test_licence_types_are_labelled_in_the_readers_language(their_therapist):
    from alliance.directory.models import Licence

    licence = Licence(therapist=their_therapist, licence_type="LPC")
    with translation.override("es"):
        assert licence.type_label == "Profesional de consejería con licencia (LPC)"
    licence.licence_type = "Registered Psychotherapist"  # an official title stays
    with translation.override("es"):
        assert licence.type_label == "Registered Psychotherapist"


def test_caseload_row_uses_one_decimal_style(partnership, client_user, their_therapist):
    """The caseload's trend label and its latest rating sit in one row: both in the locale."""
    from tests.checkins.test_alert_workflow import rate

    rate(partnership, client_user, 5)
    html = _browser(their_therapist, "es").get("/home/").content.decode()
    assert re.search(r"\d,\d\d de 1", html), "the trend label, in the locale"
    cells = re.findall(r'<span class="small">(\d+[.,]\d+)</span>', html)
    assert cells and all("," in c for c in cells), cells
    assert not re.search(r"\d\.\d\d de 1", html)
