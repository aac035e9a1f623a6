"""Operators use the venue's Django admin (the jobs, alerts and records
docs/operations.md sends them to): they are Django staff, as venue admins are."""

from django.db import migrations


def operators_are_staff(apps, schema_editor):
    User = apps.get_model("auth", "User")
    User.objects.filter(groups__name="operator", is_active=True).update(is_staff=True)


class Migration(migrations.Migration):
    dependencies = [("staff", "0002_carry_over_drf_tokens")]

    operations = [migrations.RunPython(operators_are_staff, migrations.RunPython.noop)]
