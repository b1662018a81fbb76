from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "alliance.conversations"
    verbose_name = "Conversations"
