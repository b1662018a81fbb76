"""Reliability and practice-relative bands for instruments without published norms.

- Cronbach's alpha with the Feldt confidence interval (Feldt 1965, Psychometrika 30:357;
  Feldt, Woodruff & Salih 1987, Applied Psychological Measurement 11:93): with n respondents
  and k items, (1 - alpha) / (1 - alpha_hat) follows F(n - 1, (n - 1)(k - 1)), so the interval
  is 1 - (1 - alpha_hat) * F_{1 - g/2} up to 1 - (1 - alpha_hat) * F_{g/2}.
- Percentile bands for the Alliance Check-in: it has no published norms, so a rating is read
  against the practice's own distribution. Until `min_clients` (200) clients have rated, each
  cut point is blended with the documented prior in the instrument file, weighted by
  n / min_clients; from then on the practice's distribution alone is used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from alliance.measures.instrument import Instrument


@dataclass(frozen=True)
class AlphaEstimate:
    alpha: float
    lower: float
    upper: float
    confidence: float
    respondents: int
    items: int


def cronbach_alpha(responses: npt.ArrayLike, *, confidence: float = 0.95) -> AlphaEstimate:
    """Alpha = k / (k - 1) * (1 - sum of item variances / variance of totals), with the Feldt
    interval. Rows are respondents, columns items; rows with a missing value (NaN) are
    dropped (listwise), as alpha needs complete responses."""
    data = np.asarray(responses, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError("responses must be a respondents x items table")
    data = data[~np.isnan(data).any(axis=1)]
    n, k = data.shape
    if k < 2:
        raise ValueError("alpha needs at least two items")
    if n < 3:
        raise ValueError("alpha needs at least three complete responses")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    item_var = data.var(axis=0, ddof=1).sum()
    total_var = data.sum(axis=1).var(ddof=1)
    if total_var == 0:
        raise ValueError("alpha is undefined when every respondent has the same total")
    alpha = k / (k - 1) * (1 - item_var / total_var)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - confidence) / 2
    lower = 1 - (1 - alpha) * stats.f.ppf(1 - tail, df1, df2)
    upper = 1 - (1 - alpha) * stats.f.ppf(tail, df1, df2)
    return AlphaEstimate(
        alpha=float(alpha),
        lower=float(lower),
        upper=float(upper),
        confidence=confidence,
        respondents=int(n),
        items=int(k),
    )


def alpha_for(
    instrument: Instrument,
    responses: Iterable[Mapping[str, Any]],
    *,
    subscale: str | None = None,
    confidence: float = 0.95,
) -> AlphaEstimate:
    """Alpha of an instrument (or one subscale) from responses given as {item id: value}.

    Reverse-keyed items are mirrored first, as alpha assumes items point the same way."""
    if subscale is None:
        items = instrument.scored_items
    else:
        wanted = next((s for s in instrument.subscales if s.id == subscale), None)
        if wanted is None:
            raise ValueError(f"{instrument.id!r} has no subscale {subscale!r}")
        items = tuple(instrument.item(i) for i in wanted.items)
    rows = []
    for response in responses:
        row = []
        for item in items:
            value = response.get(item.id)
            if isinstance(value, int | float) and not isinstance(value, bool):
                row.append(item.low + item.high - value if item.reverse else float(value))
            else:
                row.append(math.nan)
        rows.append(row)
    return cronbach_alpha(
        np.array(rows, dtype=np.float64).reshape(-1, len(items)), confidence=confidence
    )


@dataclass(frozen=True)
class BandCut:
    code: str
    label: str
    below: float | None  # scores below this fall in the band; None for the top band
    percentile: float | None
    practice_score: float | None  # the practice's own percentile, when it has ratings
    prior_score: float | None


@dataclass(frozen=True)
class PercentileBands:
    cuts: tuple[BandCut, ...]
    clients: int
    practice_weight: float  # 0 = prior only, 1 = the practice's distribution only
    basis: str  # "prior", "blended" or "practice"

    def band(self, score: float) -> str:
        for cut in self.cuts:
            if cut.below is None or score < cut.below:
                return cut.code
        return self.cuts[-1].code


def _weighted_percentile(
    values: npt.NDArray[np.float64], weights: npt.NDArray[np.float64], q: float
) -> float:
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cumulative = np.cumsum(w) - 0.5 * w  # midpoint rule, as for the "hazen" percentile
    cumulative /= w.sum()
    return float(np.interp(q / 100, cumulative, v))


def percentile_bands(
    instrument: Instrument,
    ratings: Iterable[tuple[Any, float]],
) -> PercentileBands:
    """Bands for scores of `instrument` from the practice's ratings (client_id, score).

    Every client counts once whatever their number of ratings (each rating of a client who
    rated m times weighs 1/m), so frequent raters do not define "typical"."""
    spec = instrument.percentile_bands
    if spec is None:
        raise ValueError(f"{instrument.id!r} has no percentile bands")
    rows = list(ratings)
    clients = np.asarray([r[0] for r in rows])
    scores = np.asarray([r[1] for r in rows], dtype=np.float64)
    n_clients = 0
    weights = np.zeros(len(rows))
    if rows:
        _, code, per_client = np.unique(clients, return_inverse=True, return_counts=True)
        n_clients = len(per_client)
        weights = 1.0 / per_client[code]
    weight = min(1.0, n_clients / spec.min_clients)
    cuts = []
    for band in spec.bands:
        practice = prior = below = None
        if band.below_percentile is not None:
            prior = band.prior_score
            if rows:
                practice = _weighted_percentile(scores, weights, band.below_percentile)
            if prior is None and practice is None:
                raise ValueError(f"band {band.code!r} has no prior and the practice no ratings")
            if prior is None:
                below = practice
            elif practice is None:
                below = prior
            else:
                below = weight * practice + (1 - weight) * prior
        cuts.append(
            BandCut(
                code=band.code,
                label=band.label["en"],
                below=below,
                percentile=band.below_percentile,
                practice_score=practice,
                prior_score=prior,
            )
        )
    basis = "prior" if weight == 0 else ("practice" if weight >= 1 else "blended")
    return PercentileBands(cuts=tuple(cuts), clients=n_clients, practice_weight=weight, basis=basis)
