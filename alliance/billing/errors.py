"""The refusals of billing: every billing write raises these, with a message that is shown
to the person as it is."""

from __future__ import annotations

from alliance.core.errors import DomainError


class BillingError(DomainError):
    """A request billing refuses; the message is shown to the person as it is."""
