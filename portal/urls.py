from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import observability, pwa, views
from portal.api import json_error_view
from portal.api_token import TokenView
from portal.landing import LoginView

admin.site.site_header = _("Linli community portal administration")
admin.site.site_title = _("Linli admin")
admin.site.index_title = _("Community work")

api_patterns: list[URLPattern | URLResolver] = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("grids/", include("grids.api.urls")),
    path("centres/", include("centres.api.urls")),
    path("services/", include("services.api.urls")),
    path("volunteers/", include("volunteers.api.urls")),
    path("notifications/", include("notifications.api.urls")),
    path("workforce/", include("workforce.api.urls")),
    path("mediation/", include("mediation.api.urls")),
    path("surveys/", include("surveys.api.urls")),
    path("deliberation/", include("deliberation.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view: its start-up script is a second request, not inline (the CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", observability.metrics, name="metrics"),
    path("sw.js", pwa.service_worker, name="service-worker"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("offline/", pwa.offline, name="offline"),
    path("elder-mode/", views.toggle_elder_mode, name="elder-mode"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("grids/", include("grids.urls")),
    path("centres/", include("centres.urls")),
    path("cases/", include("services.urls")),
    path("desk/", include("services.desk.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("volunteers/", include("volunteers.urls")),
    path("inbox/", include("notifications.urls")),
    path("workforce/", include("workforce.urls")),
    path("mediation/", include("mediation.urls")),
    path("surveys/", include("surveys.urls")),
    path("deliberation/", include("deliberation.urls")),
    path("open311/v2/", include("open311.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Errors raised outside a view (an unknown URL, a crash in a middleware): JSON under /api/.
handler400 = json_error_view(400, _("Bad request."))
handler403 = json_error_view(403, _("You do not have permission to do this."))
handler404 = json_error_view(404, _("Not found."))
handler500 = json_error_view(
    500, _("A server error occurred. It has been logged; try again later.")
)
