"""WebSocket routes; each app that speaks WebSocket adds its patterns here."""

websocket_urlpatterns: list = []
