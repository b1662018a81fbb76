from __future__ import annotations

import pytest


@pytest.fixture
def agreed_goal(partnership, client_user, their_therapist):
    """A goal the therapist proposed and the client agreed to."""
    from alliance.goals import services

    goal = services.propose_goal(
        partnership=partnership, by=their_therapist, title="Sleep before midnight"
    )
    return services.agree_goal(goal=goal, by=client_user)
