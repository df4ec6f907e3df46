# PasswordHistory now belongs to the signin app (signin 0002 took it over, table and rows
# included): it leaves this app's state only; nothing changes in the database.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('account', '0004_session_record_to_signin'),
        ('signin', '0002_password_history_from_account'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='PasswordHistory',
                ),
            ],
            database_operations=[],
        ),
    ]
