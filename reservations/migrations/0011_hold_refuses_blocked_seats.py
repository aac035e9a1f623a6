"""pos_hold refuses blocked seats (sales_seatblock) under its seat lock, and takes
`p_include_blocked` (a venue admin holding blocked seats to sell them): the old
nine-argument function is dropped, the new one installed (reservations/sql/hold.sql)."""

from django.db import migrations

from reservations.sql import drop_old_hold, install_functions


class Migration(migrations.Migration):

    dependencies = [
        ('reservations', '0010_write_functions_generic_plans'),
        ('sales', '0007_seat_blocks'),
    ]

    operations = [
        migrations.RunPython(drop_old_hold, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(install_functions, migrations.RunPython.noop, elidable=False),
    ]
