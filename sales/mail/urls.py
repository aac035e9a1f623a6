from django.urls import path

from sales.mail import views

urlpatterns = [
    path("me/alert-subscriptions/", views.MyAlertSubscriptionsView.as_view(),
         name="me-alert-subscriptions"),
]
