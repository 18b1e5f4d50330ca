from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.notifications.api.views import BroadcastView, NotificationViewSet, PreferenceView

app_name = "notifications-api"

router = SimpleRouter()
router.register("", NotificationViewSet, basename="notification")

urlpatterns = [
    path("preferences/", PreferenceView.as_view(), name="preferences"),
    path("broadcast/", BroadcastView.as_view(), name="broadcast"),
    *router.urls,
]
