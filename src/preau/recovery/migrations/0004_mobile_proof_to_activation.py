# MobileProof now belongs to the activation app (activation 0003 took it over, table and rows
# included): it leaves this app's state only; nothing changes in the database.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('recovery', '0003_help_request_reason'),
        ('activation', '0003_mobile_proof_from_recovery'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='MobileProof',
                ),
            ],
            database_operations=[],
        ),
    ]
