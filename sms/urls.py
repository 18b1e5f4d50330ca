from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic.base import RedirectView
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.accounts.views import home
from sms.observability import health, scrape


class FaviconRedirect(RedirectView):
    """The icon's URL is looked up per request: with hashed static names it comes from
    collectstatic's manifest, which a management command run before collectstatic (the
    first migrate of a fresh install) does not have yet."""

    def get_redirect_url(self, *args, **kwargs):
        return static("favicon.svg")


api_v1 = [
    path("auth/", include("apps.accounts.api.urls")),
    path("analytics/", include("apps.analytics.api.urls")),
    path("notifications/", include("apps.notifications.api.urls")),
    path("", include("apps.bulkio.api.urls")),
    path("", include("apps.academics.api.urls")),
]

urlpatterns = [
    path("", home, name="home"),
    # Answered by sms.observability.probes before the rest of the stack; routed here too
    # (names for `manage.py health_check`, and a 404 for a client /metrics refuses).
    path("health/", health.readiness, name="health"),
    path("health/live/", health.liveness, name="health-live"),
    path("health/celery/", health.celery_readiness, name="health-celery"),
    path("metrics", scrape.metrics, name="metrics"),
    # Browsers ask for /favicon.ico whatever the page says; answer instead of logging a 404.
    path("favicon.ico", FaviconRedirect.as_view(permanent=True)),
    path("accounts/", include("apps.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["apps.analytics", "apps.notifications"]),
        name="javascript-catalog",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("analytics/", include("apps.analytics.urls")),
    path("notifications/", include("apps.notifications.urls")),
    path("bulk/", include("apps.bulkio.urls")),
    path("", include("apps.academics.urls")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
