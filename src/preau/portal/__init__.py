"""The service registry (what the ENT opens: PRONOTE, the mail, resources…) and "Mes services"."""
