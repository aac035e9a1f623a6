from django.urls import path

from sales.checkin import views

urlpatterns = [
    path("checkin/", views.CheckinView.as_view(), name="checkin"),
    path("checkin/exit/", views.CheckinExitView.as_view(), name="checkin-exit"),
    path("checkin/scans/", views.CheckinScanListView.as_view(), name="checkin-scans"),
    path("checkin/key/", views.CheckinKeyView.as_view(), name="checkin-key"),
    path("checkin/sync/", views.CheckinSyncView.as_view(), name="checkin-sync"),
    path("events/<int:pk>/checkin-list/", views.EventCheckinListView.as_view(),
         name="event-checkin-list"),
    path("events/<int:pk>/checkin-stats/", views.EventCheckinStatsView.as_view(),
         name="event-checkin-stats"),
]
