from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _catalogue_changed(**kwargs) -> None:
    from open311 import actions

    actions.clear_catalogue()


class Open311Config(AppConfig):
    name = "open311"
    verbose_name = _("Open311 interface")

    def ready(self) -> None:
        from open311.models import ServiceAttribute
        from services.models import Category

        # A staff edit of a category or a question is seen at once in this process (others
        # within open311.actions.CATALOGUE_TTL).
        for model in (Category, ServiceAttribute):
            name = model.__name__
            post_save.connect(_catalogue_changed, sender=model, dispatch_uid=f"open311_{name}")
            post_delete.connect(_catalogue_changed, sender=model, dispatch_uid=f"open311_d{name}")
