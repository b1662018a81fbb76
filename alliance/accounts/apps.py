from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "alliance.accounts"
    verbose_name = "Accounts"
