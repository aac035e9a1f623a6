"""The heartbeat periodic task in django-celery-beat's schedule (public schema).
Editable in the platform admin afterwards; this only creates it when missing."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    if schema_editor.connection.schema_name != "public":
        return
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="heartbeat",
        defaults={"task": "tenants.heartbeat", "interval": every_minute, "enabled": True},
    )


def remove_schedule(apps, schema_editor):
    if schema_editor.connection.schema_name != "public":
        return
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name="heartbeat").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
