"""pos_hold (reservations/sql/hold.sql) answers `lapsed`: the partial-payment reservations
it expired while claiming their seats, which the service announces (reservation.expired,
pos.domain_events)."""

from django.db import migrations

from reservations.sql import install_functions


class Migration(migrations.Migration):

    dependencies = [
        ('reservations', '0012_event_rules_grant_logout'),
    ]

    operations = [
        migrations.RunPython(install_functions, migrations.RunPython.noop, elidable=False),
    ]
