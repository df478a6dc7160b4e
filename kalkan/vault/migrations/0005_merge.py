"""Joins two branches of work: removed-record ids and authenticated key rows."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0004_authenticated_keys"),
        ("vault", "0004_removed"),
    ]

    operations = []
