# NotificationPreferences now belongs to the notify app (notify 0002 took it over, table and
# rows included): it leaves this app's state only; nothing changes in the database. The account
# app keeps no model of its own.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('account', '0005_password_history_to_signin'),
        ('notify', '0002_notification_preferences_from_account'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='NotificationPreferences',
                ),
            ],
            database_operations=[],
        ),
    ]
