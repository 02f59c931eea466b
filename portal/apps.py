from axes.apps import AppConfig as BaseAxesConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from portal import security  # noqa: F401 - connects the login log's receivers


class AxesConfig(BaseAxesConfig):
    """django-axes under a name staff understand (its lockout counters are in the admin)."""

    verbose_name = _("Login security")


# django-axes ships no Chinese: the labels its counters show in the admin, translated in
# locale/ (the project's catalogue is read first).
AXES_LABELS = (
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Username"),
    gettext_noop("IP Address"),
    gettext_noop("Failed Logins"),
    gettext_noop("Attempt Time"),
    gettext_noop("Path"),
    gettext_noop("User Agent"),
)
