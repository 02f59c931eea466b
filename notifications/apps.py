from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from notifications import bell

        # The first page after logging in shows the bell: count then, not on that page.
        user_logged_in.connect(bell.prime_on_login, dispatch_uid="notifications_prime_bell")
