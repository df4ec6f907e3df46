# SessionRecord moves from the account app to signin (issue 13, part 6): in Django's state
# only. Its table keeps its name (account_sessionrecord), its rows, indexes and constraints; the
# content type follows the model, so nothing refers to a stale one.

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

    initial = True

    dependencies = [
        ('account', '0003_session_end_reasons'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SessionRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('session_key', models.CharField(max_length=40)),
                        ('created_at', models.DateTimeField(verbose_name='ouverte le')),
                        ('last_seen_at', models.DateTimeField(verbose_name='dernière activité')),
                        ('ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='adresse IP')),
                        ('user_agent', models.CharField(blank=True, max_length=255, verbose_name='navigateur')),
                        ('ended_at', models.DateTimeField(blank=True, null=True, verbose_name='fermée le')),
                        ('end_reason', models.CharField(blank=True, choices=[('signout', 'déconnexion'), ('elsewhere', 'déconnexion à distance'), ('password', 'changement de mot de passe'), ('timeout', 'expiration'), ('reissue', "nouveau code d'activation"), ('deactivated', 'compte désactivé')], max_length=12)),
                        ('account', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='session_records', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'session',
                        'db_table': 'account_sessionrecord',
                        'indexes': [models.Index(fields=['account', 'ended_at'], name='session_record_open_idx')],
                        'constraints': [models.UniqueConstraint(fields=('session_key',), name='session_record_key_unique')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(
            _content_type_move("account", "signin", "sessionrecord"),
            _content_type_move("signin", "account", "sessionrecord"),
        ),
    ]
