from django.http import HttpRequest

from preau.conf import preau_setting


def preau(request: HttpRequest) -> dict[str, object]:
    return {"ent_name": preau_setting("ENT_NAME"), "help_text": preau_setting("HELP_TEXT")}
