from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "alliance.care"
    verbose_name = "Care"

    def ready(self) -> None:
        # Registers the system check that every part answers a partnership's end.
        from alliance.care import lifecycle, observations  # noqa: F401
