"""Webhooks: a venue admin registers URLs that are told, by signed HTTP POSTs sent by
Celery, when a sale completes, a reservation is made, lapses or is cancelled, tickets are
refunded or a ticket is admitted at the door (docs/webhooks.md)."""
