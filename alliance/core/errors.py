"""The one base of every refusal a part's services raise.

A service refuses a request the person can act on by raising a subclass of `DomainError`
with a finished sentence; pages show the sentence as it is, and the JSON API answers it
through one exception handler (`alliance.api.api`) as `{"detail": sentence}` with the
class's `status`: 409 by default (the request is well formed but conflicts with the current
state — already agreed, the partnership has ended, the time is taken), 400 where the class
says the input broke a documented rule. It stays a `ValueError`, so a caller that guards a
parse with `except ValueError` keeps working.

The pure engines (`alliance.measures`, `alliance.matching`) import nothing of the app and
keep their own `ValueError`s; a part that calls them turns their errors into its own.
"""

from __future__ import annotations


class DomainError(ValueError):
    """A request refused for a reason the person can act on; the message is shown to them."""

    status: int = 409
