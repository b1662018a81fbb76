"""The "Leave quickly" control's target, for `includes/quick_exit.html`.

Which people see the control is decided in the template (clients and anyone not logged in);
what it does is in `static/js/quick_exit.js`; why, in docs/security.md ("Privacy at home").
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def quick_exit_url(request: HttpRequest) -> dict[str, str]:
    return {"QUICK_EXIT_URL": settings.QUICK_EXIT_URL}
