from django.apps import AppConfig
from django.utils.module_loading import import_string


class ClaimsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "claims"

    def ready(self) -> None:
        from .receivers import RECEIVERS

        for signal_path, receiver, uid in RECEIVERS:
            import_string(signal_path).connect(receiver, dispatch_uid=uid)
