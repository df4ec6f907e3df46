# PasswordHistory moves from the account app to signin, beside the password policy (issue 13,
# part 6): in Django's state only. Its table keeps its name (account_passwordhistory), its rows
# and index; the content type follows the model.

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
        ('account', '0004_session_record_to_signin'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('signin', '0001_session_record_from_account'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='PasswordHistory',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('password', models.CharField(max_length=255)),
                        ('created_at', models.DateTimeField()),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='password_history', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'ancien mot de passe',
                        'db_table': 'account_passwordhistory',
                        'indexes': [models.Index(fields=['account', '-created_at'], name='password_history_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(
            _content_type_move("account", "signin", "passwordhistory"),
            _content_type_move("signin", "account", "passwordhistory"),
        ),
    ]
