"""The batch accepts practices whose histories are shorter than the session-3 checkpoint."""

from __future__ import annotations

from alliance.measures.alerts import CheckIn, ClientHistory, evaluate
from alliance.measures.alerts.batch import evaluate_batch, to_batch


def test_batch_with_fewer_columns_than_the_checkpoint_session():
    history = ClientHistory(checkins=(CheckIn(1, goal=0.2, task=0.2, bond=0.2),))
    result = evaluate_batch(to_batch([history], sessions=1, weeks=1))
    assert set(result.row(0)) == {a.kind for a in evaluate(history)}
