"""On PostgreSQL, service and proxy tickets live in an UNLOGGED table.

A ticket lives ten seconds; writing it to the WAL and waiting for the disk at each issuance and
each validation doubled the time of a ticket's round trip (bench/bench_cas.py). What an
unlogged table costs: after a crash of PostgreSQL the table is emptied (tickets in flight fail,
people get new ones; single logout forgets the services opened before the crash), and it is not
copied to streaming replicas (after a failover, the same). SSO sessions and proxy-granting
tickets stay in ordinary tables. Other databases are left as they are.
"""

from django.db import migrations


def _set(logged: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name("cas_serviceticket")
        schema_editor.execute(f"ALTER TABLE {table} SET {'LOGGED' if logged else 'UNLOGGED'}")

    return run


class Migration(migrations.Migration):
    dependencies = [("cas", "0002_ticket_snapshot")]

    operations = [migrations.RunPython(_set(False), _set(True))]
