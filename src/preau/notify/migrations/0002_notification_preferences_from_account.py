# NotificationPreferences moves from the account app to notify (issue 13, part 6), so that the
# first connection and "Mon compte" both reach it from below: in Django's state only. Its table
# keeps its name (account_notificationpreferences) and its rows; the content type follows the
# model.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _content_type_move(app_from: str, app_to: str, model: str):
    def move(apps, schema_editor):
        content_type = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        if not content_type.objects.using(db).filter(app_label=app_to, model=model).exists():
            content_type.objects.using(db).filter(app_label=app_from, model=model).update(
                app_label=app_to
            )

    return move


class Migration(migrations.Migration):

    dependencies = [
        ('account', '0005_password_history_to_signin'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('notify', '0001_outbox'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='NotificationPreferences',
                    fields=[
                        ('account', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='notification_preferences', serialize=False, to=settings.AUTH_USER_MODEL)),
                        ('from_establishment', models.BooleanField(default=True, verbose_name="informations de l'établissement")),
                        ('from_partners', models.BooleanField(default=False, verbose_name='informations des partenaires (région, académie)')),
                        ('sms', models.BooleanField(default=False, verbose_name='SMS')),
                        ('updated_at', models.DateTimeField(verbose_name='modifié le')),
                    ],
                    options={
                        'verbose_name': 'préférences de notification',
                        'verbose_name_plural': 'préférences de notification',
                        'db_table': 'account_notificationpreferences',
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(
            _content_type_move("account", "notify", "notificationpreferences"),
            _content_type_move("notify", "account", "notificationpreferences"),
        ),
    ]
