from django.urls import path
from rest_framework.routers import SimpleRouter

from sales import views

router = SimpleRouter()
router.register("venues", views.VenueViewSet, basename="venue")
router.register("events", views.EventViewSet, basename="event")
router.register("zones", views.ZoneViewSet, basename="zone")
router.register("seats", views.SeatViewSet, basename="seat")
router.register("transactions", views.TransactionViewSet, basename="transaction")

urlpatterns = [
    path("events/<int:pk>/zones/", views.EventZoneListCreateView.as_view(), name="event-zones"),
    path("zones/<int:pk>/seats/", views.ZoneSeatsView.as_view(), name="zone-seats"),
    *router.urls,
]
