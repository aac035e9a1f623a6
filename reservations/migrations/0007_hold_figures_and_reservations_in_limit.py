"""The hold functions answer each item's zone tax category (the hold's figures), and
open reservations count towards the per-cashier limit."""

from django.db import migrations

from reservations.sql import install_functions


class Migration(migrations.Migration):

    dependencies = [
        ('reservations', '0006_write_path_functions'),
    ]

    operations = [
        migrations.RunPython(install_functions, migrations.RunPython.noop, elidable=False),
    ]
