from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _holidays_changed(**kwargs) -> None:
    from services import calendar

    calendar.clear_cache()


def _limits_changed(**kwargs) -> None:
    from services import actions

    actions.clear_limits_cache()


def _phone_verified(*, user, phone: str, **kwargs) -> None:
    from services import actions

    actions.claim_cases_by_phone(user, phone)


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("12345 cases")

    def ready(self) -> None:
        from django.core import checks

        from portal.accounts import phone_verified
        from services.checks import holiday_data
        from services.models import Category, Holiday, TimeLimit

        checks.register(holiday_data, checks.Tags.database)
        # A phone proven by a code collects the cases filed for it (a hotline call, say).
        phone_verified.connect(_phone_verified, dispatch_uid="services_claim_by_phone")

        # A staff edit of the holiday table is seen at once in this process (others within
        # the calendar's one-minute cache).
        post_save.connect(_holidays_changed, sender=Holiday, dispatch_uid="services_holiday_save")
        post_delete.connect(_holidays_changed, sender=Holiday, dispatch_uid="services_holiday_del")
        for model in (TimeLimit, Category):
            post_save.connect(
                _limits_changed, sender=model, dispatch_uid=f"services_limits_{model.__name__}"
            )
            post_delete.connect(
                _limits_changed, sender=model, dispatch_uid=f"services_limitsd_{model.__name__}"
            )
