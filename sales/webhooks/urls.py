from rest_framework.routers import SimpleRouter

from sales.webhooks import views

router = SimpleRouter()
router.register("webhooks/endpoints", views.WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("webhooks/deliveries", views.WebhookDeliveryViewSet,
                basename="webhook-delivery")

urlpatterns = router.urls
