"""Where a user lands after logging in: THE one rule, for the password and the phone-code login.

Staff (any staff role held today, or a superuser) land on the 12345 desk (/desk/); grid workers
whose only staff role is the grid keep their phone pages (/cases/grid/, which link to the desk);
everyone else (residents, co-building units) goes where they went before: the page they were
sent to log in from, or the login's own default. Roles are read from the area scope
(grids.scope.scope_for), which holds the roles current today (grids.querysets.current_q)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import reverse

from grids.models.roles import STAFF_ROLES, Role
from grids.scope import scope_for


def landing_url(user, default: str) -> str:
    """The page `user` starts on when no particular page was asked for."""
    scope = scope_for(user)
    if scope.is_superuser or scope.roles & (STAFF_ROLES - {Role.GRID_WORKER}):
        return reverse("desk:home")
    if Role.GRID_WORKER in scope.roles:
        return reverse("services:grid")
    return default


class LoginView(auth_views.LoginView):
    """Django's password login; without a `next`, the user lands by `landing_url`."""

    def get_default_redirect_url(self) -> str:
        return landing_url(self.request.user, super().get_default_redirect_url())
