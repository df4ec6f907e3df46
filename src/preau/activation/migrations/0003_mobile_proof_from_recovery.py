# MobileProof moves from the recovery app to activation, beside the e-mail proof (issue 13,
# part 3): in Django's state only. Its table keeps its name (recovery_mobileproof), its rows and
# index; the content type follows the model.

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
        ('activation', '0002_birth_date_limit'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('recovery', '0003_help_request_reason'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='MobileProof',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('mobile', models.CharField(max_length=20, verbose_name='numéro')),
                        ('code_digest', models.CharField(editable=False, max_length=64)),
                        ('created_at', models.DateTimeField()),
                        ('expires_at', models.DateTimeField()),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('ended_at', models.DateTimeField(blank=True, null=True)),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='mobile_proofs', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'preuve de numéro de mobile',
                        'db_table': 'recovery_mobileproof',
                        'indexes': [models.Index(fields=['account', 'created_at'], name='mobile_proof_account_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(
            _content_type_move("recovery", "activation", "mobileproof"),
            _content_type_move("activation", "recovery", "mobileproof"),
        ),
    ]
