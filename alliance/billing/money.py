"""Money arithmetic with no Django: integer minor units (cents) and ISO 4217 codes.

Every amount here is an `int` of the currency's minor unit; a float never enters. Rounding
to the minor unit is half up, once, at the end of a calculation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 currencies whose minor unit is not the cent (the rest have two decimals).
_EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip

BUCKETS = ("0-30", "31-60", "61-90", "90+")


class MoneyError(ValueError):
    """An amount that cannot be money: not a number, negative, or finer than the currency."""


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def is_currency_code(code: str) -> bool:
    return len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()


_GROUPED = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")
_PLAIN = re.compile(r"\d+([.,]\d+)?")


def parse_amount(text: str, currency: str) -> int:
    """'150', '150.50', '150,50' or '1,234.50' of the currency as minor units (15050 for
    150.50 USD); refuses what is not an amount of it (letters, a sign, an exponent, more
    decimals than the currency has)."""
    cleaned = text.strip()
    if _GROUPED.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    elif _PLAIN.fullmatch(cleaned):
        cleaned = cleaned.replace(",", ".")
    else:
        raise MoneyError("not an amount")
    scaled = Decimal(cleaned).scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError("more decimals than the currency has")
    return int(scaled)


def major(amount_minor: int, currency: str) -> Decimal:
    """The amount in the currency's main unit, exact (15050 USD cents -> Decimal('150.50'))."""
    places = exponent(currency)
    return Decimal(amount_minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def resolve_fee(
    *,
    default_minor: int,
    override_minor: int | None = None,
    percent: int | None = None,
) -> int:
    """The fee a client pays: the therapist's own fee if they set one, else the service's
    default; then the client's approved sliding-scale share (percent of it), rounded half up."""
    base = default_minor if override_minor is None else override_minor
    if base < 0:
        raise MoneyError("a fee is never negative")
    if percent is None:
        return base
    if not 1 <= percent <= 100:
        raise MoneyError("a sliding-scale share is between 1 and 100 percent")
    share = (Decimal(base) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(share)


def individual_code(minutes: int) -> str | None:
    """The psychotherapy code for a session of this many minutes, by the CPT time rule
    (a code is met once the midpoint is passed): 16-37 minutes 90832 (30 min), 38-52
    90834 (45 min), 53 or more 90837 (60 min). Under 16 minutes no psychotherapy code
    applies (AMA CPT 2024, psychotherapy time rules)."""
    if minutes >= 53:
        return "90837"
    if minutes >= 38:
        return "90834"
    if minutes >= 16:
        return "90832"
    return None


def bucket(days_outstanding: int) -> str:
    """The ageing bucket of a balance this many days past its invoice date."""
    if days_outstanding <= 30:
        return BUCKETS[0]
    if days_outstanding <= 60:
        return BUCKETS[1]
    if days_outstanding <= 90:
        return BUCKETS[2]
    return BUCKETS[3]


def ageing(balances: Iterable[tuple[int, int]]) -> dict[str, int]:
    """(days outstanding, balance) pairs summed per bucket; every bucket present."""
    totals = dict.fromkeys(BUCKETS, 0)
    for days, amount in balances:
        totals[bucket(max(0, days))] += amount
    return totals


def balance(*, total: int, credited: int = 0, paid: int = 0, refunded: int = 0) -> int:
    """What is still owed on an invoice (negative: the practice owes the client)."""
    return total - credited - paid + refunded


@dataclass(frozen=True)
class Entry:
    """One movement on a client's account: invoiced, credited, paid or refunded."""

    kind: str  # "invoice" | "credit" | "payment" | "refund"
    amount_minor: int


@dataclass(frozen=True)
class StatementTotals:
    opening: int
    invoiced: int
    credited: int
    paid: int
    refunded: int

    @property
    def closing(self) -> int:
        return self.opening + self.invoiced - self.credited - self.paid + self.refunded


_SIGN = {"invoice": "invoiced", "credit": "credited", "payment": "paid", "refund": "refunded"}


def statement_totals(*, opening: int, entries: Iterable[Entry]) -> StatementTotals:
    """The period's totals of an account statement, from the balance it opened with."""
    sums = dict.fromkeys(_SIGN.values(), 0)
    for entry in entries:
        if entry.amount_minor < 0:
            raise MoneyError("entries are positive; their kind says which way they go")
        sums[_SIGN[entry.kind]] += entry.amount_minor
    return StatementTotals(opening=opening, **sums)
