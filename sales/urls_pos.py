"""The seed documents' JSON endpoints under /sales/ (used by the POS web page)."""

from django.urls import path

from sales import views

urlpatterns = [
    path("seats/reserve/", views.SeatReserveView.as_view(), name="seat-reserve"),
    path("ajax/seat-availability/", views.SeatAvailabilityView.as_view(),
         name="seat-availability"),
]
