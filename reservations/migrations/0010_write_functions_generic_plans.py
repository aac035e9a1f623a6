"""The write functions plan their statements once per connection
(`plan_cache_mode = force_generic_plan`, reservations/sql/__init__.py)."""

from django.db import migrations

from reservations.sql import install_functions


class Migration(migrations.Migration):

    dependencies = [
        ('reservations', '0009_complete_function'),
    ]

    operations = [
        migrations.RunPython(install_functions, migrations.RunPython.noop, elidable=False),
    ]
