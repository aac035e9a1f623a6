from django.urls import path

from reservations import operator_views, views

urlpatterns = [
    path("holds/", views.HoldListCreateView.as_view(), name="holds"),
    path("holds/<int:pk>/", views.HoldDetailView.as_view(), name="hold-detail"),
    path("holds/<int:pk>/release/", views.HoldReleaseView.as_view(), name="hold-release"),
    path("holds/<int:pk>/extend/", views.HoldExtendView.as_view(), name="hold-extend"),
    path("holds/<int:pk>/quote/", views.HoldQuoteView.as_view(), name="hold-quote"),
    path("holds/<int:pk>/checkout/", views.HoldCheckoutView.as_view(), name="hold-checkout"),
    # Operator API (reservations.operator_views)
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
