from django.urls import path

from tenants.staff import views

urlpatterns = [
    path("staff/", views.StaffListView.as_view(), name="staff-list"),
    path("staff/<int:pk>/", views.StaffDetailView.as_view(), name="staff-detail"),
    path("staff/<int:pk>/password/", views.StaffPasswordView.as_view(), name="staff-password"),
    path("staff/<int:pk>/tokens/<int:token_id>/", views.StaffTokenView.as_view(),
         name="staff-token"),
]
