from django.db import migrations

CATEGORIES = [
    ("Scolarité", 10),
    ("Communication", 20),
    ("Ressources", 30),
    ("Vie de l'établissement", 40),
]


def create(apps, schema_editor):
    Category = apps.get_model("portal", "Category")
    for name, order in CATEGORIES:
        Category.objects.get_or_create(name=name, defaults={"order": order})


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
