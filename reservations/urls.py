from django.urls import path

from reservations import operator_views

urlpatterns = [
    # Operator API (the till's hold routes are in sales.checkout.urls)
    path("reservations/stats/", operator_views.ReservationStatsView.as_view(),
         name="reservation-stats"),
    path("reservations/alerts/", operator_views.AlertListView.as_view(), name="alert-list"),
    path("reservations/alerts/<int:pk>/acknowledge/",
         operator_views.AlertAcknowledgeView.as_view(), name="alert-acknowledge"),
    path("reservations/extend/", operator_views.BulkExtensionView.as_view(),
         name="reservation-extend"),
    path("reservations/extend/<slug:job_id>/", operator_views.ExtensionJobView.as_view(),
         name="reservation-extend-job"),
]
