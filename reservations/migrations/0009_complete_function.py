"""pos_complete (reservations/sql/complete.sql): a hold or reservation paid in full
becomes a sale in one call."""

from django.db import migrations

from reservations.sql import install_functions


class Migration(migrations.Migration):

    dependencies = [
        ('reservations', '0008_refunded_status'),
        ('sales', '0005_refunds'),
    ]

    operations = [
        migrations.RunPython(install_functions, migrations.RunPython.noop, elidable=False),
    ]
