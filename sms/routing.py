"""WebSocket routes; each app that speaks WebSocket adds its patterns here."""

from django.urls import path

from apps.notifications.consumers import NotificationConsumer

websocket_urlpatterns: list = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]
