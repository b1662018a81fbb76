from django.apps import AppConfig


class ScheduleConfig(AppConfig):
    name = "alliance.schedule"
    verbose_name = "Schedule"
