# Mailboxes made before this migration keep their Argon2id-derived keys (scheme 1); new
# ones use the keyed hash (scheme 2), kalkan.intake.receipts.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0006_message_mac'),
    ]

    operations = [
        migrations.AddField(
            model_name='mailbox',
            name='receipt_scheme',
            field=models.PositiveSmallIntegerField(default=1, db_index=True),
        ),
        migrations.AlterField(
            model_name='mailbox',
            name='receipt_scheme',
            field=models.PositiveSmallIntegerField(default=2, db_index=True),
        ),
    ]
