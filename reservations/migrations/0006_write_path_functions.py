"""The hold, release and extend as PostgreSQL functions (reservations/sql/)."""

from django.db import migrations

from reservations.sql import drop_functions, install_functions


class Migration(migrations.Migration):

    dependencies = [
        ('reservations', '0005_active_items_by_cashier'),
    ]

    operations = [
        migrations.RunPython(install_functions, drop_functions, elidable=False),
    ]
