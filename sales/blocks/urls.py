from django.urls import path

from sales.blocks import views

urlpatterns = [
    path("events/<int:pk>/seat-blocks/", views.SeatBlocksView.as_view(),
         name="event-seat-blocks"),
    path("events/<int:pk>/seat-blocks/release/", views.SeatBlocksReleaseView.as_view(),
         name="event-seat-blocks-release"),
    path("events/<int:pk>/seat-blocks/log/", views.SeatBlockLogView.as_view(),
         name="event-seat-blocks-log"),
]
