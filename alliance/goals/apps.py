from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "alliance.goals"
    verbose_name = "Goals"
