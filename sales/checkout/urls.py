from django.urls import path

from sales.checkout import views

urlpatterns = [
    path("holds/", views.HoldListCreateView.as_view(), name="holds"),
    path("holds/<int:pk>/", views.HoldDetailView.as_view(), name="hold-detail"),
    path("holds/<int:pk>/release/", views.HoldReleaseView.as_view(), name="hold-release"),
    path("holds/<int:pk>/extend/", views.HoldExtendView.as_view(), name="hold-extend"),
    path("holds/<int:pk>/grant/", views.HoldGrantView.as_view(), name="hold-grant"),
    path("holds/<int:pk>/quote/", views.HoldQuoteView.as_view(), name="hold-quote"),
    path("holds/<int:pk>/checkout/", views.HoldCheckoutView.as_view(), name="hold-checkout"),
    path("transactions/<int:pk>/payments/", views.TransactionPaymentsView.as_view(),
         name="transaction-payments"),
    path("transactions/<int:pk>/cancel/", views.ReservationCancelView.as_view(),
         name="transaction-cancel"),
    # Before fiscal's routes: a refund is the till's (the seats go back on sale).
    path("fiscal/documents/<int:pk>/credit-note/", views.CreditNoteView.as_view(),
         name="fiscal-document-credit-note"),
]
