from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "alliance.checkins"
    verbose_name = "Checkins"

    def ready(self) -> None:
        # Registers the system check that every alert signal has its one provider.
        from alliance.checkins import signals  # noqa: F401
