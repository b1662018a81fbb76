"""Switching to Spanish in a real browser: the switcher, log-in and the check-in in Spanish,
each page passing axe (request-level language tests are in tests/core/test_i18n.py)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_accessible, assert_no_external_requests
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_switch_to_spanish_log_in_and_check_in(live_asgi_server, page, partnership):
    from alliance.checkins.services import request_checkin

    client_user = partnership.client
    base = live_asgi_server.url
    page.goto(f"{base}/account/log-in/")
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Change language").click()
    page.wait_for_selector('html[lang="es"]')
    assert page.get_by_role("heading", name="Iniciar sesión").is_visible()
    assert_accessible(page)
    assert_no_external_requests(page, base)
    page.get_by_label("Correo electrónico").fill(client_user.email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(f"{base}/home/")
    assert page.get_by_role("button", name="Cerrar sesión").is_visible()
    client_user.refresh_from_db()
    assert client_user.preferred_language == "es"  # chosen just before logging in: kept
    checkin = request_checkin(partnership=partnership)
    page.goto(f"{base}/checkins/requests/{checkin.pk}/")
    assert page.get_by_role("heading", name="¿Cómo fue la sesión de hoy?").is_visible()
    assert page.get_by_role(
        "group", name="1. Hoy trabajamos en lo que más me importa."
    ).is_visible()
    assert_accessible(page)
