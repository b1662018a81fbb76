from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "alliance.accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # What ends a session closes its live sockets too (alliance/accounts/sockets.py).
        from alliance.accounts import sockets

        sockets.connect_signals()
