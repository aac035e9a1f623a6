"""Tokens issued by DRF's authtoken (before django-rest-knox) keep working: each becomes a
device token holding only the digest knox compares (SHA-512 of the token; its first 15
characters as the look-up key), and the table with the tokens in clear text is dropped."""

import hashlib

from django.db import migrations

TOKEN_KEY_LENGTH = 15  # knox.settings.CONSTANTS.TOKEN_KEY_LENGTH


def carry_over(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        table = f'"{cursor.fetchone()[0]}".authtoken_token'  # this schema's, not another's
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
        if not cursor.fetchone()[0]:
            return
        cursor.execute(f"SELECT key, user_id, created FROM {table}")
        rows = cursor.fetchall()
    DeviceToken = apps.get_model("staff", "DeviceToken")
    DeviceToken.objects.bulk_create([
        DeviceToken(digest=hashlib.sha512(key.encode()).hexdigest(),
                    token_key=key[:TOKEN_KEY_LENGTH], user_id=user_id, created=created,
                    expiry=None, terminal="")
        for key, user_id, created in rows
    ])
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}")


class Migration(migrations.Migration):
    dependencies = [("staff", "0001_device_tokens_and_staff_changes")]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]
