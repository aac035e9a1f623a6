from django.urls import path
from rest_framework.routers import SimpleRouter

from fiscal import views

router = SimpleRouter()
router.register("fiscal/documents", views.FiscalDocumentViewSet, basename="fiscal-document")
router.register("fiscal/series", views.FiscalSeriesViewSet, basename="fiscal-series")
router.register("fiscal/exchange-rates", views.ExchangeRateViewSet,
                basename="fiscal-exchange-rate")
router.register("fiscal/z-reports", views.ZReportViewSet, basename="fiscal-z-report")
router.register("fiscal/shifts", views.ShiftViewSet, basename="fiscal-shift")

urlpatterns = [
    path("fiscal/settings/", views.FiscalSettingsView.as_view(), name="fiscal-settings"),
    path("fiscal/x-report/", views.XReportView.as_view(), name="fiscal-x-report"),
    path("fiscal/z-report/", views.ZReportView.as_view(), name="fiscal-z-report-close"),
    path("fiscal/sales-book/", views.SalesBookView.as_view(), name="fiscal-sales-book"),
    path("fiscal/tickets/<int:pk>/html/", views.TicketPrintView.as_view(),
         {"fmt": "html"}, name="fiscal-ticket-html"),
    path("fiscal/tickets/<int:pk>/pdf/", views.TicketPrintView.as_view(),
         {"fmt": "pdf"}, name="fiscal-ticket-pdf"),
    *router.urls,
]
