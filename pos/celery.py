"""The Celery app. Tasks are tenant-aware (tenant-schemas-celery): a task sent while the
connection is set to a tenant schema runs in that schema on the worker."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos.settings")

app = CeleryApp("pos")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
