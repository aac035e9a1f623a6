"""Offline gates (sales.checkin.sync): when a scan was made as well as when it was
recorded, the device's scan id (an upload recorded once), and the `conflict` result."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sales', '0007_seat_blocks'),
    ]

    operations = [
        migrations.AddField(
            model_name='checkinscan',
            name='scanned_at',
            field=models.DateTimeField(null=True),
        ),
        # Every scan so far was made online: scanned when it was recorded.
        migrations.RunSQL(
            # (Checked at once: no deferred trigger event left pending for ALTER TABLE.)
            "SET CONSTRAINTS ALL IMMEDIATE; "
            "UPDATE sales_checkinscan SET scanned_at = created_at; "
            "SET CONSTRAINTS ALL DEFERRED;",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name='checkinscan',
            name='scanned_at',
            field=models.DateTimeField(),
        ),
        migrations.AddField(
            model_name='checkinscan',
            name='offline',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='checkinscan',
            name='device_scan_id',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name='checkinscan',
            name='result',
            field=models.CharField(choices=[('admitted', 'Admitted'), ('exited', 'Exited'), ('refused', 'Refused'), ('conflict', 'Conflict')], max_length=10),
        ),
        migrations.AddConstraint(
            model_name='checkinscan',
            constraint=models.UniqueConstraint(condition=models.Q(('device_scan_id', ''), _negated=True), fields=('device', 'device_scan_id'), name='checkin_device_scan_once'),
        ),
    ]
