# SessionRecord now belongs to the signin app (signin 0001 took it over, table and rows
# included): it leaves this app's state only; nothing changes in the database.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('account', '0003_session_end_reasons'),
        ('signin', '0001_session_record_from_account'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='SessionRecord',
                ),
            ],
            database_operations=[],
        ),
    ]
