"""The names of the first connection's pages, as the pages and the credential letters say
them (one source: the letter announces each step with the title its page will show)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from preau.activation.selectors import Action

STEP_TITLES = {
    Action.ACCEPT_CHARTER: gettext_lazy("Charte d’utilisation"),
    Action.UPDATE_PASSWORD: gettext_lazy("Choix du mot de passe"),
    Action.CONFIRM_BIRTH_DATE: gettext_lazy("Date de naissance"),
    Action.UPDATE_CONTACT: gettext_lazy("Coordonnées"),
    Action.VERIFY_EMAIL: gettext_lazy("Confirmation de l’adresse électronique"),
    Action.CONFIRM_CHILDREN: gettext_lazy("Vos enfants"),
}

# The title of a page that groups several steps (``PREAU["REQUIRED_ACTIONS"]``).
GROUP_TITLE = gettext_lazy("Votre compte")
