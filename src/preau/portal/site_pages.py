"""The footer's pages (legal notice, accessibility statement, personal data, help): their
default texts, shown until the operator writes theirs in the admin, and the small plain-text
format both are written in.

The format is deliberately tiny, so that an operator pastes a text without learning a markup
language and nothing they type can inject HTML: a blank line separates paragraphs, a line
starting with ``## `` is a sub-heading, lines starting with ``- `` make a list; the template
escapes every text and turns https://… addresses into links.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from preau.conf import preau_setting
from preau.portal.models import SitePage


@dataclass(frozen=True)
class Block:
    kind: str  # "h2", "p" or "ul"
    text: str = ""
    items: list[str] = field(default_factory=list)


def text_blocks(text: str) -> list[Block]:
    """``text`` as headings, paragraphs and lists (see the module's docstring)."""
    blocks: list[Block] = []
    paragraph: list[str] = []
    items: list[str] = []

    def close_paragraph() -> None:
        if paragraph:
            blocks.append(Block("p", " ".join(paragraph)))
            paragraph.clear()

    def close_list() -> None:
        if items:
            blocks.append(Block("ul", items=list(items)))
            items.clear()

    for raw in [*text.replace("\r\n", "\n").split("\n"), ""]:
        line = raw.strip()
        if not line:  # a blank line ends whatever was open
            close_paragraph()
            close_list()
        elif line.startswith("## "):
            close_paragraph()
            close_list()
            blocks.append(Block("h2", line[3:].strip()))
        elif line.startswith("- "):
            close_paragraph()
            items.append(line[2:].strip())
        else:
            close_list()
            paragraph.append(line)
    return blocks


@dataclass(frozen=True)
class _Facts:
    """What the default texts say of this deployment."""

    ent_name: str
    operator: str  # "" when the settings name none
    help_text: str


def _legal_notice(facts: _Facts) -> str:
    editor = (
        _("%(ent)s est édité par %(operator)s.")
        % {"ent": facts.ent_name, "operator": facts.operator}
        if facts.operator
        else _(
            "%(ent)s est édité par la collectivité ou l’organisme qui l’exploite pour les "
            "établissements scolaires."
        )
        % {"ent": facts.ent_name}
    )
    return "\n\n".join(
        [
            "## " + _("Éditeur"),
            editor,
            "## " + _("Objet du service"),
            _(
                "%(ent)s est l’espace numérique de travail des élèves, de leurs "
                "responsables légaux et des personnels des établissements : il leur donne "
                "un compte et l’accès, avec une seule connexion, aux services numériques "
                "de leur établissement."
            )
            % {"ent": facts.ent_name},
            "## " + _("Logiciel"),
            (
                _(
                    "%(ent)s repose sur Préau, logiciel libre de gestion des identités pour "
                    "les espaces numériques de travail."
                )
                % {"ent": facts.ent_name}
                if facts.ent_name.strip().casefold() != "préau"
                else _(
                    "Préau est un logiciel libre de gestion des identités pour les espaces "
                    "numériques de travail."
                )
            ),
            "## " + _("Contact"),
            facts.help_text,
        ]
    )


def _accessibility(facts: _Facts) -> str:
    return "\n\n".join(
        [
            _(
                "L’exploitant de %(ent)s s’engage à rendre ses services numériques "
                "accessibles, conformément à l’article 47 de la loi n° 2005-102 du 11 "
                "février 2005."
            )
            % {"ent": facts.ent_name},
            "## " + _("Résultats des tests"),
            _(
                "Aucun audit de conformité au référentiel général d’amélioration de "
                "l’accessibilité (RGAA) n’a encore été réalisé : le service est donc "
                "déclaré non conforme. Les pages sont toutefois conçues avec le système de "
                "design de l’État et vérifiées automatiquement (axe-core) dans un "
                "navigateur, sur ordinateur et sur téléphone."
            ),
            "## " + _("Retour d’information et contact"),
            _(
                "Si vous n’arrivez pas à accéder à un contenu ou à un service, signalez-le "
                "pour être orienté vers une alternative accessible ou obtenir le contenu "
                "sous une autre forme. %(help)s"
            )
            % {"help": facts.help_text},
            "## " + _("Voies de recours"),
            _(
                "Si vous avez signalé un défaut d’accessibilité qui vous empêche d’accéder "
                "à un contenu ou à un service et que vous n’avez pas obtenu de réponse "
                "satisfaisante, vous pouvez :"
            ),
            "\n".join(
                [
                    "- "
                    + _(
                        "écrire un message au Défenseur des droits : "
                        "https://formulaire.defenseurdesdroits.fr/"
                    ),
                    "- "
                    + _(
                        "contacter le délégué du Défenseur des droits dans votre région : "
                        "https://www.defenseurdesdroits.fr/saisir/delegues"
                    ),
                    "- "
                    + _(
                        "envoyer un courrier (gratuit, ne pas mettre de timbre) : Défenseur "
                        "des droits, Libre réponse 71120, 75342 Paris CEDEX 07"
                    ),
                ]
            ),
        ]
    )


def _personal_data(facts: _Facts) -> str:
    controller = (
        _("Le responsable du traitement est %(operator)s.") % {"operator": facts.operator}
        if facts.operator
        else _("Le responsable du traitement est l’exploitant de %(ent)s.")
        % {"ent": facts.ent_name}
    )
    return "\n\n".join(
        [
            "## " + _("Responsable du traitement"),
            controller,
            "## " + _("Pourquoi ces données"),
            _(
                "Pour créer votre compte, vous identifier, vous donner accès aux services "
                "de votre établissement et vous permettre de retrouver l’accès à votre "
                "compte si vous oubliez votre identifiant ou votre mot de passe."
            ),
            "## " + _("Quelles données"),
            "\n".join(
                [
                    "- "
                    + _(
                        "transmises par votre établissement : nom, prénom, date de "
                        "naissance, établissement, profil, classes, et pour les "
                        "responsables légaux leurs coordonnées ;"
                    ),
                    "- "
                    + _(
                        "saisies par vous : adresse électronique et numéro de mobile, si "
                        "vous les donnez ;"
                    ),
                    "- "
                    + _(
                        "créées par le service : identifiant, mot de passe (conservé sous "
                        "une forme qui ne permet pas de le retrouver), journal des "
                        "connexions et des opérations sur le compte."
                    ),
                ]
            ),
            "## " + _("Durée de conservation"),
            _(
                "Un compte qui n’a jamais été activé est supprimé %(days)s jours après sa "
                "création. Quand vous quittez l’établissement, l’accès est retiré et les "
                "données sont supprimées quelques mois plus tard."
            )
            % {"days": preau_setting("DELETE_UNACTIVATED_DAYS")},
            "## " + _("Cookies"),
            _(
                "%(ent)s n’utilise que les cookies nécessaires à son fonctionnement "
                "(session, protection des formulaires, profil choisi sur la page de "
                "connexion) : aucun cookie de mesure d’audience ni de publicité."
            )
            % {"ent": facts.ent_name},
            "## " + _("Vos droits"),
            _(
                "Vous pouvez consulter et corriger vos coordonnées dans « Mon compte ». "
                "Pour exercer vos autres droits (accès, rectification, effacement, "
                "limitation, opposition), adressez-vous à votre établissement. %(help)s"
            )
            % {"help": facts.help_text},
            _(
                "Si vous estimez que vos droits ne sont pas respectés, vous pouvez adresser "
                "une réclamation à la CNIL : https://www.cnil.fr/fr/plaintes"
            ),
        ]
    )


def _help(facts: _Facts) -> str:
    return "\n\n".join(
        [
            "## " + _("Première connexion"),
            _(
                "Munissez-vous du courrier remis par votre établissement : il indique votre "
                "identifiant et votre code d’activation. Sur la page de connexion, saisissez "
                "l’identifiant, puis le code d’activation à la place du mot de passe, et "
                "suivez les étapes : la charte, votre nouveau mot de passe, puis les "
                "informations demandées."
            ),
            "## " + _("Identifiant ou mot de passe oublié"),
            _(
                "Sur la page de connexion, choisissez « Identifiant oublié ? » ou « Mot de "
                "passe oublié ? ». Si vous avez enregistré une adresse électronique ou un "
                "numéro de mobile, vous recevez de quoi retrouver l’accès à votre compte. "
                "Sinon, faites une demande d’aide à votre établissement depuis ces pages."
            ),
            "## " + _("Courrier perdu ou code d’activation expiré"),
            _(
                "Le code d’activation est valable %(days)s jours. Passé ce délai, ou si vous "
                "avez perdu le courrier, demandez-en un nouveau au secrétariat de votre "
                "établissement : l’ancien code ne fonctionnera plus."
            )
            % {"days": preau_setting("ACTIVATION_DAYS")},
            "## " + _("Contact"),
            facts.help_text,
        ]
    )


_DEFAULT_BODIES: dict[str, Callable[[_Facts], str]] = {
    SitePage.Kind.LEGAL_NOTICE: _legal_notice,
    SitePage.Kind.ACCESSIBILITY: _accessibility,
    SitePage.Kind.PERSONAL_DATA: _personal_data,
    SitePage.Kind.HELP: _help,
}


def default_body(kind: str, *, ent_name: str, operator: str, help_text: str) -> str:
    """The text shown for ``kind`` until the operator writes one: true of every deployment
    of Préau, and saying where the deployment-specific facts are to be asked."""
    write = _DEFAULT_BODIES.get(kind, _help)
    return write(_Facts(ent_name=ent_name, operator=operator, help_text=help_text))
