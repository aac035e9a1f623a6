"""Staff of a venue organisation: their device tokens (django-rest-knox), the staff API and
admin for venue admins, the audit of staff changes, `manage.py add_staff`.

A Django app of its own (label `staff`) because it lives in every tenant's schema, while
`tenants` itself lives in the public schema only."""
