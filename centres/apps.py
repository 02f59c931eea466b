from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CentresConfig(AppConfig):
    name = "centres"
    verbose_name = _("Neighbourhood centres")

    def ready(self) -> None:
        from centres import signals  # noqa: F401 - connects the centre page cache refresh
