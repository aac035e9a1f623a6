"""The ASGI server's application (uvicorn, beside gunicorn: `make run`, compose, bench).
It serves the pushed seat maps (reservations.consumers); plain HTTP falls through to
Django, though gunicorn is what serves the site and the API."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos.settings")
django_application = get_asgi_application()  # first: it sets Django up

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from reservations.consumers import SeatMapConsumer  # noqa: E402

websocket_urlpatterns = [
    path("ws/events/<int:event_id>/seats/", SeatMapConsumer.as_asgi(), name="seat-map-socket"),
]

application = ProtocolTypeRouter({
    "http": django_application,
    "websocket": URLRouter(websocket_urlpatterns),
})
