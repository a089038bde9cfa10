from django.apps import AppConfig


class PartnersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "partners"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the webhook outbox to claims' signals
