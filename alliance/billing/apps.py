from typing import Any

from django.apps import AppConfig
from django.core import checks


class BillingConfig(AppConfig):
    name = "alliance.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        checks.register(check_currency)


def check_currency(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from django.conf import settings

    from alliance.billing.money import is_currency_code

    if is_currency_code(settings.BILLING_CURRENCY):
        return []
    return [
        checks.Error(
            f"BILLING_CURRENCY must be a three-letter ISO 4217 code, got "
            f"{settings.BILLING_CURRENCY!r}.",
            hint="For example USD or EUR (docs/configuration.md).",
            id="billing.E001",
        )
    ]
