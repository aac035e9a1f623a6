from django.urls import path

from sales.dashboard import views

urlpatterns = [
    path("dashboard/events/<int:pk>/", views.EventDashboardView.as_view(),
         name="dashboard-event"),
    path("dashboard/days/<str:day>/", views.DayDashboardView.as_view(), name="dashboard-day"),
]
