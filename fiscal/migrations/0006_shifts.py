"""Cashier shifts (fiscal.Shift) and the link of each document to the one shift it is
closed into. The documents' immutability trigger (0002_documents) lets `shift_id` be set
once, from null, exactly as it lets `z_report_id`; a shift itself is never changed or
deleted."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SQL = """
CREATE OR REPLACE FUNCTION fiscal_document_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'fiscal documents are immutable: % cannot be deleted', OLD.id;
    END IF;
    -- Set once after issue: the Z report closing the document's day, the cashier's shift
    -- closing its till.
    IF (to_jsonb(NEW) - 'z_report_id' - 'shift_id')
           IS DISTINCT FROM (to_jsonb(OLD) - 'z_report_id' - 'shift_id')
       OR (OLD.z_report_id IS NOT NULL
           AND NEW.z_report_id IS DISTINCT FROM OLD.z_report_id)
       OR (OLD.shift_id IS NOT NULL AND NEW.shift_id IS DISTINCT FROM OLD.shift_id) THEN
        RAISE EXCEPTION 'fiscal documents are immutable: % cannot be changed', OLD.id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION fiscal_shift_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'closed shifts are immutable: % cannot be %', OLD.id,
        CASE TG_OP WHEN 'DELETE' THEN 'deleted' ELSE 'changed' END;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER fiscal_shift_immutable
    BEFORE UPDATE OR DELETE ON fiscal_shift
    FOR EACH ROW EXECUTE FUNCTION fiscal_shift_immutable();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS fiscal_shift_immutable ON fiscal_shift;
DROP FUNCTION IF EXISTS fiscal_shift_immutable();
CREATE OR REPLACE FUNCTION fiscal_document_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'fiscal documents are immutable: % cannot be deleted', OLD.id;
    END IF;
    IF (to_jsonb(NEW) - 'z_report_id') IS DISTINCT FROM (to_jsonb(OLD) - 'z_report_id')
       OR (OLD.z_report_id IS NOT NULL
           AND NEW.z_report_id IS DISTINCT FROM OLD.z_report_id) THEN
        RAISE EXCEPTION 'fiscal documents are immutable: % cannot be changed', OLD.id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("fiscal", "0005_document_terminal"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Shift",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField(unique=True)),
                ("terminal", models.CharField(blank=True, default="", max_length=40)),
                ("opened_at", models.DateTimeField()),
                ("closed_at", models.DateTimeField()),
                ("figures", models.JSONField()),
                ("declared", models.JSONField(blank=True, null=True)),
                ("difference", models.JSONField(blank=True, null=True)),
                ("cashier", models.ForeignKey(
                    on_delete=django.db.models.deletion.PROTECT, related_name="+",
                    to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["-number"],
                "indexes": [models.Index(fields=["cashier", "terminal", "-closed_at"],
                                         name="shift_till_last")],
            },
        ),
        migrations.AddField(
            model_name="fiscaldocument",
            name="shift",
            field=models.ForeignKey(blank=True, null=True,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="documents", to="fiscal.shift"),
        ),
        migrations.AddIndex(
            model_name="fiscaldocument",
            index=models.Index(condition=models.Q(("shift__isnull", True)),
                               fields=["issued_by", "terminal"], name="doc_open_shift"),
        ),
        migrations.RunSQL(sql=SQL, reverse_sql=REVERSE_SQL),
    ]
