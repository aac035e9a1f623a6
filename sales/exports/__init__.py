"""Exports of sales, payments, check-ins (and, through fiscal.exports, fiscal documents) as
CSV and XLSX: rows here, writers in pos.exports, served by the API (views.py), the admin's
actions and the `export_*` management commands."""
