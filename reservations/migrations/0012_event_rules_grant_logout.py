"""Per-event rules: pos_hold and pos_extend (reservations/sql/hold.sql, extend.sql) use the
event's own hold minutes when it sets them; the audit trail's reasons for a release at
log-out and a longer hold granted by a venue admin."""

from django.db import migrations, models

from reservations.sql import install_functions


class Migration(migrations.Migration):

    dependencies = [
        ('reservations', '0011_hold_refuses_blocked_seats'),
        ('sales', '0009_event_rules'),
    ]

    operations = [
        migrations.AlterField(
            model_name='statuschange',
            name='reason',
            field=models.CharField(choices=[('user', 'By a user'), ('expiry', 'Expired (hold time or payment deadline passed)'), ('stale_on_hold', 'Expired when another hold claimed the seat'), ('bulk_extension', 'Bulk extension job'), ('admin', 'Admin action'), ('refund', 'Refunded by a credit note'), ('logout', 'Released when the cashier was logged out (POS page, token revoked)'), ('hold_granted', 'Longer hold granted by a venue admin')], max_length=20),
        ),
        migrations.RunPython(install_functions, migrations.RunPython.noop, elidable=False),
    ]
