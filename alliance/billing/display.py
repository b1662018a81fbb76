"""Money as people read it, in the language of the page or document being rendered."""

from __future__ import annotations

from django.utils import formats, translation

from alliance.billing import money

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "JPY": "¥"}


def format_money(amount_minor: int, currency: str) -> str:
    """'$150.00' in English, '150,00 $' in Spanish: the number grouped and separated as
    the active language writes it, the symbol (or ISO code) where that language puts it."""
    places = money.exponent(currency)
    number = formats.number_format(
        money.major(abs(amount_minor), currency), places, use_l10n=True, force_grouping=True
    )
    symbol = _SYMBOLS.get(currency, currency)
    sign = "-" if amount_minor < 0 else ""
    if (translation.get_language() or "en").startswith("en"):
        return f"{sign}{symbol}{number}"
    return f"{sign}{number}\N{NO-BREAK SPACE}{symbol}"
