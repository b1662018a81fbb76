"""Spanish ships complete: the catalogue, the language switcher, the stored preference, and
the check-in questionnaires (our own in Spanish; PHQ-9 and GAD-7 in English with a note).
The same journey in a real browser, with axe, is tests/browser/test_language.py."""

from __future__ import annotations

import ast
import gettext
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from alliance.accounts.models import User
from tests.conftest import PASSWORD, logged_in

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "alliance" / "locale"
SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


# --- the catalogue --------------------------------------------------------------------


def _unquote(line: str) -> str:
    return str(ast.literal_eval(line.strip()))


def parse_po(path: Path) -> list[dict[str, object]]:
    """Entries of a .po file: flags, msgid, msgid_plural, msgstr (or msgstr[n])."""
    entries: list[dict[str, object]] = []
    entry: dict[str, object] = {}
    key = ""
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if entry:
                entries.append(entry)
            entry, key = {}, ""
            continue
        if line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#,"):
            entry.setdefault("flags", set()).update(  # type: ignore[union-attr]
                flag.strip() for flag in line[2:].split(",")
            )
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] = str(entry[key]) + _unquote(line)
        else:
            key, _, value = line.partition(" ")
            entry[key] = _unquote(value)
    return entries


def translatable(entries: list[dict[str, object]]) -> list[dict[str, object]]:
    return [e for e in entries if e.get("msgid") and not e.get("obsolete")]


def msgstrs(entry: dict[str, object]) -> list[str]:
    return [str(v) for k, v in entry.items() if k.startswith("msgstr")]


PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdr]|%[sd]|\{[a-z_0-9]*\}")


CATALOGUES = ["django", "djangojs"]  # templates and Python; the call and chat scripts


@pytest.mark.parametrize("domain", CATALOGUES)
def test_spanish_catalogue_is_complete_and_not_fuzzy(domain):
    entries = parse_po(LOCALE / "es" / "LC_MESSAGES" / f"{domain}.po")
    header = next(e for e in entries if e.get("msgid") == "")
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in str(header["msgstr"])
    assert "Language: es" in str(header["msgstr"])
    assert "fuzzy" not in header.get("flags", set())  # type: ignore[operator]
    real = translatable(entries)
    assert len(real) > (1000 if domain == "django" else 20)
    for entry in real:
        assert "fuzzy" not in entry.get("flags", set()), entry["msgid"]  # type: ignore[operator]
        if "msgid_plural" in entry:
            assert set(k for k in entry if k.startswith("msgstr")) == {"msgstr[0]", "msgstr[1]"}
        for text in msgstrs(entry):
            assert text.strip(), f"untranslated: {entry['msgid']!r}"


@pytest.mark.parametrize("domain", CATALOGUES)
def test_spanish_keeps_every_placeholder(domain):
    for entry in translatable(parse_po(LOCALE / "es" / "LC_MESSAGES" / f"{domain}.po")):
        wanted = sorted(PLACEHOLDER.findall(str(entry["msgid"])))
        if "msgid_plural" in entry:
            wanted_plural = sorted(PLACEHOLDER.findall(str(entry["msgid_plural"])))
            assert sorted(PLACEHOLDER.findall(str(entry["msgstr[1]"]))) == wanted_plural
            # The singular may say "one" in words instead of the number.
            assert set(PLACEHOLDER.findall(str(entry["msgstr[0]"]))) <= set(wanted_plural)
            continue
        assert sorted(PLACEHOLDER.findall(str(entry["msgstr"]))) == wanted, entry["msgid"]


@pytest.mark.parametrize("domain", CATALOGUES)
def test_compiled_catalogue_matches_the_po_file(domain):
    """The committed .mo was compiled from the committed .po (compilemessages was run)."""
    folder = LOCALE / "es" / "LC_MESSAGES"
    with (folder / f"{domain}.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in translatable(parse_po(folder / f"{domain}.po")):
        msgid = str(entry["msgid"])
        if "msgctxt" in entry:
            msgid = f"{entry['msgctxt']}\x04{msgid}"
        if "msgid_plural" in entry:
            assert compiled.ngettext(msgid, str(entry["msgid_plural"]), 1) == entry["msgstr[0]"]
            assert compiled.ngettext(msgid, str(entry["msgid_plural"]), 5) == entry["msgstr[1]"]
        else:
            assert compiled.gettext(msgid) == entry["msgstr"], msgid


def test_every_interface_language_has_a_catalogue():
    for code, _name in settings.LANGUAGES:
        if code != settings.LANGUAGE_CODE:
            assert (LOCALE / code / "LC_MESSAGES" / "django.mo").exists(), code


# --- choosing a language --------------------------------------------------------------

pytestmark = pytest.mark.django_db


def test_default_is_english_for_an_english_browser():
    page = Client().get("/account/log-in/", **ENGLISH).content.decode()
    assert '<html lang="en">' in page and "Log in" in page


def test_spanish_browser_gets_spanish():
    page = Client().get("/account/log-in/", **SPANISH).content.decode()
    assert '<html lang="es">' in page and "Iniciar sesión" in page


def test_switcher_is_labelled_and_posts_to_set_language():
    page = Client().get("/account/log-in/", **ENGLISH).content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert '<label for="language-switch"' in page and 'id="language-switch"' in page
    assert '<option value="es" lang="es">Español</option>' in page
    assert "<script>" not in page  # nothing inline: the page works under the strict CSP


def test_switching_renders_pages_in_spanish_and_back():
    browser = Client()
    res = browser.post("/i18n/setlang/", {"language": "es", "next": "/account/log-in/"}, **ENGLISH)
    assert res.status_code == 302 and res["Location"] == "/account/log-in/"
    page = browser.get("/account/log-in/", **ENGLISH).content.decode()
    assert '<html lang="es">' in page and "Iniciar sesión" in page
    assert '<option value="es" lang="es" selected>' in page
    browser.post("/i18n/setlang/", {"language": "en", "next": "/account/log-in/"})
    page = browser.get("/account/log-in/", **SPANISH).content.decode()
    assert '<html lang="en">' in page and "Log in" in page


def test_unknown_language_is_refused_with_a_message(client_user):
    browser = logged_in(client_user)
    res = browser.post("/i18n/setlang/", {"language": "fr", "next": "/home/"}, **ENGLISH)
    assert res.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in res.cookies
    client_user.refresh_from_db()
    assert client_user.preferred_language == "en"
    page = browser.get("/home/", **ENGLISH).content.decode()
    assert "That language is not available." in page and '<html lang="en">' in page


def test_switching_needs_a_post():
    assert Client().get("/i18n/setlang/?language=es").status_code == 405


def test_an_unsafe_next_goes_nowhere_else():
    res = Client().post("/i18n/setlang/", {"language": "es", "next": "https://evil.example/"})
    assert res.status_code == 302 and not res["Location"].startswith("https://evil")


def test_switching_while_logged_in_stores_the_preference(client_user, their_therapist):
    browser = logged_in(client_user)
    browser.post("/i18n/setlang/", {"language": "es", "next": "/home/"}, **ENGLISH)
    client_user.refresh_from_db()
    assert client_user.preferred_language == "es"
    page = browser.get("/home/", **ENGLISH).content.decode()
    assert '<html lang="es">' in page and "Cerrar sesión" in page
    therapist = logged_in(their_therapist)
    therapist.post("/i18n/setlang/", {"language": "es", "next": "/home/"})
    their_therapist.refresh_from_db()
    assert their_therapist.preferred_language == "es"


def test_stored_preference_is_applied_at_log_in(client_user):
    client_user.preferred_language = "es"
    client_user.save(update_fields=["preferred_language"])
    browser = Client()
    res = browser.post(
        "/account/log-in/", {"email": client_user.email, "password": PASSWORD}, **ENGLISH
    )
    assert res.status_code == 302
    assert res.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    page = browser.get("/home/", **ENGLISH).content.decode()
    assert '<html lang="es">' in page and "Cerrar sesión" in page
    # Logging out keeps the language on this device.
    browser.post("/account/log-out/")
    page = browser.get("/account/log-in/", **ENGLISH).content.decode()
    assert "Iniciar sesión" in page


def test_english_preference_wins_over_a_spanish_browser_at_log_in(client_user):
    browser = Client()
    browser.post("/account/log-in/", {"email": client_user.email, "password": PASSWORD}, **SPANISH)
    page = browser.get("/home/", **SPANISH).content.decode()
    assert '<html lang="en">' in page


def test_choice_made_just_before_log_in_is_kept_and_stored(client_user):
    browser = Client()
    browser.post("/i18n/setlang/", {"language": "es", "next": "/account/log-in/"})
    res = browser.post("/account/log-in/", {"email": client_user.email, "password": PASSWORD})
    assert res.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    client_user.refresh_from_db()
    assert client_user.preferred_language == "es"


def test_failed_log_in_changes_nothing(client_user):
    browser = Client()
    res = browser.post("/account/log-in/", {"email": client_user.email, "password": "nope"})
    assert res.status_code == 400 and settings.LANGUAGE_COOKIE_NAME not in res.cookies


def test_an_account_made_in_spanish_keeps_spanish(jurisdiction):
    browser = Client()
    res = browser.post(
        "/account/sign-up/",
        {
            "display_name": "Lucía",
            "email": "lucia@example.org",
            "date_of_birth": "1991-03-04",
            "password": PASSWORD,
        },
        **SPANISH,
    )
    assert res.status_code == 302
    assert User.objects.get(email="lucia@example.org").preferred_language == "es"
    page = browser.get(res["Location"], **SPANISH).content.decode()
    assert '<html lang="es">' in page


# --- questionnaires -------------------------------------------------------------------


@pytest.fixture
def checkin_request(partnership):
    from alliance.checkins.services import request_checkin

    return request_checkin(partnership=partnership)


def test_alliance_checkin_has_spanish_text_everywhere():
    from alliance.measures import registry

    for instrument_id in ("alliance_checkin", "alliance_checkin_therapist"):
        instrument = registry.get_instrument(instrument_id)
        assert "own translation" in instrument.languages["es"]
        assert instrument.title["es"] and instrument.instructions["es"]
        for item in instrument.items:
            assert item.text["es"] and item.text["es"] != item.text["en"], item.id
            for option in item.options:
                assert option.text["es"], (item.id, option.value)
        for subscale in instrument.subscales:
            assert subscale.name["es"]


def test_phq9_and_gad7_stay_english_only():
    from alliance.measures import registry

    for instrument_id in ("phq9", "gad7"):
        instrument = registry.get_instrument(instrument_id)
        assert set(instrument.languages) == {"en"}
        assert all(set(item.text) == {"en"} for item in instrument.items)


def test_checkin_form_is_in_spanish(client_user, checkin_request):
    browser = logged_in(client_user)
    browser.post("/i18n/setlang/", {"language": "es", "next": "/home/"})
    page = browser.get(f"/checkins/requests/{checkin_request.pk}/").content.decode()
    assert "¿Cómo fue la sesión de hoy?" in page
    assert "Hoy sentí que mi terapeuta me escuchaba y me comprendía." in page
    assert "Totalmente de acuerdo" in page
    assert "I felt heard" not in page and "Strongly agree" not in page
    assert "todavía no está incluida" not in page


def test_phq9_is_shown_in_english_with_a_spanish_note(client_user, checkin_request):
    from tests.checkins.conftest import checkin_post, good_checkin

    assert "phq9" in checkin_request.instruments
    browser = logged_in(client_user)
    browser.post("/i18n/setlang/", {"language": "es", "next": "/home/"})
    url = f"/checkins/requests/{checkin_request.pk}/"
    browser.post(url, checkin_post("alliance_checkin", good_checkin(5)))
    page = browser.get(f"{url}?instrument=phq9").content.decode()
    assert "Little interest or pleasure in doing things" in page
    assert "traducción oficial al español todavía no está incluida" in page
    assert '<p lang="en">Over the last 2 weeks' in page
    assert "Enviar" in page  # the page around the questionnaire is Spanish


def test_phq9_in_english_has_no_note(client_user, checkin_request):
    from tests.checkins.conftest import checkin_post, good_checkin

    browser = logged_in(client_user)
    url = f"/checkins/requests/{checkin_request.pk}/"
    browser.post(url, checkin_post("alliance_checkin", good_checkin(5)), **ENGLISH)
    page = browser.get(f"{url}?instrument=phq9", **ENGLISH).content.decode()
    assert "Little interest or pleasure in doing things" in page
    assert "not included yet" not in page and 'lang="en">Over' not in page


# --- crisis help and e-mails in the person's language ---------------------------------


def test_crisis_help_is_in_spanish_with_emergency_services():
    page = Client().get("/help/", **SPANISH).content.decode()
    assert "Busca ayuda ahora" in page
    assert "Servicios de emergencia" in page
    assert "Llama a tu número local de emergencias (112 en Europa, 911 en Norteamérica)" in page
    assert "findahelpline.com" in page
    english = Client().get("/help/", **ENGLISH).content.decode()
    assert "Emergency services" in english and "Servicios de emergencia" not in english


def test_checkin_email_goes_out_in_the_clients_language(
    partnership, client_user, django_capture_on_commit_callbacks, mailoutbox
):
    from alliance.checkins.services import request_checkin

    client_user.preferred_language = "es"
    client_user.save(update_fields=["preferred_language"])
    with django_capture_on_commit_callbacks(execute=True):
        request_checkin(partnership=partnership)
    (mail,) = mailoutbox
    # the first check-in includes the PHQ-9 and GAD-7, so the subject says how long it takes
    assert mail.subject == "Un chequeo breve (unos 2 minutos)"
    assert mail.body.startswith("Hola, Casey:") and "/checkins/requests/" in mail.body


def test_call_and_chat_scripts_get_their_text_from_the_catalogue(client_user, partnership):
    browser = logged_in(client_user)
    browser.post("/i18n/setlang/", {"language": "es", "next": "/home/"})
    thread = browser.get(f"/conversations/{partnership.pk}/").content.decode()
    assert thread.index('src="/i18n/js/"') < thread.index("js/chat.js")
    script = browser.get("/i18n/js/")
    assert script.status_code == 200 and "javascript" in script["Content-Type"]
    body = script.content.decode()
    for text in ("Sin conexión: tus mensajes se envían", "La otra persona salió de la llamada."):
        assert json.dumps(text)[1:-1] in body  # the catalogue is JSON inside the script
    english = Client().get("/i18n/js/", **ENGLISH).content.decode()
    assert "Sin conexión" not in english


def test_crisis_panel_sent_over_the_chat_socket_is_in_the_clients_language(client_user):
    """Sockets skip LocaleMiddleware; the crisis panel follows the stored preference."""
    from alliance.conversations.consumers import crisis_html

    assert "You don't have to face this alone" in crisis_html(client_user, alerted=True)
    client_user.preferred_language = "es"
    client_user.save(update_fields=["preferred_language"])
    html = crisis_html(client_user, alerted=True)
    assert "No tienes que pasar por esto en soledad" in html
    assert "Avisamos a tu terapeuta" in html and "Servicios de emergencia" in html
