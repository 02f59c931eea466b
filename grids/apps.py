from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Grids and party organisation")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from grids.scope import invalidate_scopes

        # Scopes shared between requests are rebuilt after any role or tree change.
        for model in ("RoleAssignment", "Area"):
            sender = self.get_model(model)
            post_save.connect(invalidate_scopes, sender=sender, dispatch_uid=f"scope-{model}-s")
            post_delete.connect(invalidate_scopes, sender=sender, dispatch_uid=f"scope-{model}-d")
