from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "alliance.privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        # Registers the system check that erasure ends partnerships first (alliance.E005).
        from alliance.privacy import rights  # noqa: F401
