from django.urls import path

from sales.checkout import views

urlpatterns = [
    path("holds/", views.HoldListCreateView.as_view(), name="holds"),
    path("holds/<int:pk>/", views.HoldDetailView.as_view(), name="hold-detail"),
    path("holds/<int:pk>/release/", views.HoldReleaseView.as_view(), name="hold-release"),
    path("holds/<int:pk>/extend/", views.HoldExtendView.as_view(), name="hold-extend"),
    path("holds/<int:pk>/quote/", views.HoldQuoteView.as_view(), name="hold-quote"),
    path("holds/<int:pk>/checkout/", views.HoldCheckoutView.as_view(), name="hold-checkout"),
    path("transactions/<int:pk>/payments/", views.TransactionPaymentsView.as_view(),
         name="transaction-payments"),
]
