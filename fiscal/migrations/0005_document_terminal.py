"""The POS terminal a document was issued at. Adding the column (its default filled in by
PostgreSQL, no UPDATE) leaves the documents issued before it as they are: their terminal
is "" and the reports fall back to their series' terminal (fiscal.selectors._till_of)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("fiscal", "0004_refunds_return_seats"),
    ]

    operations = [
        migrations.AddField(
            model_name="fiscaldocument",
            name="terminal",
            field=models.CharField(blank=True, default="", max_length=40),
        ),
    ]
