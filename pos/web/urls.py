"""/pos/: the cashiers' web page, the door's page, their log-in and log-out, and ticket QR
images."""

from django.urls import path
from django.views.i18n import set_language

from pos.web import dashboard, views

urlpatterns = [
    path("", views.pos_page, name="pos-page"),
    path("door/", views.door_page, name="pos-door"),
    path("login/", views.pos_login, name="pos-login"),
    path("logout/", views.pos_logout, name="pos-logout"),
    path("language/", set_language, name="pos-language"),
    path("tickets/<int:pk>/qr.svg", views.ticket_qr, name="pos-ticket-qr"),
    path("dashboard/", dashboard.dashboard_page, name="pos-dashboard"),
    path("dashboard/events/<int:pk>/<slug:chart>.svg", dashboard.event_chart,
         name="pos-dashboard-event-chart"),
    path("dashboard/days/<str:day>/<slug:chart>.svg", dashboard.day_chart,
         name="pos-dashboard-day-chart"),
]
