"""The admin site, with the navigation (the app list) kept per user for a minute.

Django builds the app list on every admin page: for each of ~60 registered models it asks the
model admin's permission questions (the area scope) and reverses two URLs, then sorts by the
translated names. On a busy 2-core machine that was a fifth of an inbox page. The list only
changes with the user's roles and areas (the scope), so it is kept per process under a key made
of them; the pages themselves still check every permission on every request."""

from __future__ import annotations

from functools import partial

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.utils import translation

from portal.memo import TTLMemo

APP_LIST_TTL = 60.0  # seconds
_app_lists: TTLMemo[list] = TTLMemo(APP_LIST_TTL, maxsize=5000)


def _key(request, app_label) -> tuple | None:
    from grids.scope import scope_for

    user = request.user
    if not getattr(user, "is_authenticated", False):
        return None
    scope = scope_for(user)
    return (
        user.pk,
        user.is_superuser,
        user.is_staff,
        translation.get_language(),
        app_label,
        scope.roles,
        scope.area_paths,
        scope.department_ids,
        scope.centre_ids,
        scope.unit_ids,
    )


class PortalAdminSite(AdminSite):
    # The sidebar repeats the whole app list on every page (a tenth of a case page's time);
    # staff reach other lists from the index and the breadcrumbs.
    enable_nav_sidebar = False

    def get_app_list(self, request, app_label=None):
        key = _key(request, app_label)
        if key is None:
            return super().get_app_list(request, app_label)
        return _app_lists.get(key, partial(super().get_app_list, request, app_label))


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"
