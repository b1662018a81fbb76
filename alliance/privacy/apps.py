from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "alliance.privacy"
    verbose_name = "Privacy"
