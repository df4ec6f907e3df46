"""Credential letters: one A4 page per person, drawn with reportlab.

This module draws: it takes plain :class:`Letter` values (built and, for pending accounts,
given a fresh activation code by ``provisioning.services.letters_generate``) and returns the PDF.

What a letter tells of the first connection comes from the configuration the pages follow
(:func:`letter_journeys`): the sign-in choice to make (``PREAU["SIGNIN_CHOICES"]``, with the
sign-in page's label), then the pages of that person's profile (``PREAU["REQUIRED_ACTIONS"]``,
each named with its page's title), without the charter when none is published, without the
birth date when none will be asked, with the e-mail confirmation when the deployment has it.

Fonts. A school prints whatever names its administration typed: "Łukasz", "Nguyễn Thị Ánh",
"Çağla", "Дмитрий". The 14 standard PDF fonts only know WinAnsi (no Ł, no ễ), and
transliterating a person's name on the letter that is meant to identify them is wrong. So the
letters embed Fira Sans (SIL OFL, from the ``fontpkg-fira-sans`` wheel declared in
pyproject.toml): static TrueType files covering Latin with its extensions, Vietnamese, Greek and
Cyrillic. reportlab embeds only the glyphs used (subsets), so a letter stays small. A character
the font still lacks (a CJK ideograph, an emoji) is folded to its base letter when it has one and
otherwise printed as "?", never as an empty box and never as a crash.

Speed. The QR code (the same sign-in address on every page) is drawn once as a PDF form
XObject and placed on each page, so 2,000 letters cost one QR code, not 2,000.

``letters_generate`` (the service that selects, issues codes and calls :func:`letters_render`)
lives in ``provisioning.services`` with the other writes.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from preau.directory.activation_codes import activation_code_display

FONT = "PreauSans"
FONT_BOLD = "PreauSans-Bold"
FONT_SEMIBOLD = "PreauSans-SemiBold"

BLUE = HexColor("#000091")  # the French state's blue (DSFR "bleu France")
GREY = HexColor("#666666")
LIGHT = HexColor("#F5F5FE")
RULE = HexColor("#CACAFB")
BLACK = Color(0, 0, 0)

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 56.0  # ~2 cm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
QR_SIZE = 112.0
QR_FORM = "preau_signin_qr"


@dataclass(frozen=True)
class Child:
    """A student named on a guardian's letter."""

    name: str
    classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Journey:
    """The first connection a letter announces: the label of the sign-in choice to make ("" when
    none is configured for the person), the pages in order (each a tuple of required actions
    shown together), and whether the e-mail confirmation ends the first connection."""

    choice: str = ""
    steps: tuple[tuple[str, ...], ...] = ()
    email_proof_required: bool = False


@dataclass(frozen=True)
class Letter:
    """What one page says. ``code`` is the clear activation code, or None for an active account."""

    login: str
    first_name: str
    last_name: str
    profiles: tuple[str, ...]  # translated labels: "Élève", "Responsable légal"…
    classes: tuple[str, ...] = ()  # a student's classes
    children: tuple[Child, ...] = field(default_factory=tuple)  # a guardian's children here
    function: str = ""
    is_guardian: bool = False
    code: str | None = None
    expires_at: datetime | None = None
    journey: Journey = field(default_factory=Journey)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class LetterContext:
    """What every page of one print run shares."""

    ent_name: str
    establishment_name: str
    uai: str
    city: str
    public_url: str
    signin_url: str
    help_text: str
    printed_on: datetime


def letter_journeys(account_ids: Collection[int]) -> dict[int, Journey]:
    """The first connection each account will go through with a new code, as the pages will
    ask it (the steps of all its current profiles, here or elsewhere): a few queries whatever
    the number of letters."""
    from preau.activation.selectors import (
        birth_date_asked,
        email_proof_required,
        first_connection_steps,
    )
    from preau.directory.models import Membership
    from preau.signin.wayf import signin_choice_for_profiles

    today = timezone.localdate()
    profiles_of: dict[int, set[str]] = {pk: set() for pk in account_ids}
    rows = (
        Membership.objects.filter(account_id__in=sorted(profiles_of))
        .exclude(end_date__lte=today)
        .values_list("account_id", "profile")
    )
    for account_id, profile in rows:
        profiles_of[account_id].add(profile)
    asked = birth_date_asked(profiles_of)
    proof = email_proof_required()
    journeys: dict[int, Journey] = {}
    known: dict[tuple[frozenset[str], bool], Journey] = {}
    for account_id, profiles in profiles_of.items():
        key = (frozenset(profiles), account_id in asked)
        if key not in known:
            choice = signin_choice_for_profiles(key[0])
            known[key] = Journey(
                choice=str(choice.label) if choice is not None else "",
                steps=tuple(first_connection_steps(profiles=key[0], birth_date=key[1])),
                email_proof_required=proof,
            )
        journeys[account_id] = known[key]
    return journeys


# --- Fonts -------------------------------------------------------------------------------------


def _font_dir() -> Path:
    import fontpkg_fira_sans

    return Path(fontpkg_fira_sans.ROOT) / "files"


@functools.cache
def _register_fonts() -> frozenset[int]:
    """Register the embedded fonts once per process; return the code points they can draw."""
    directory = _font_dir()
    regular = TTFont(FONT, str(directory / "FiraSans-Regular.ttf"))
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(directory / "FiraSans-Bold.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_SEMIBOLD, str(directory / "FiraSans-SemiBold.ttf")))
    # Regular, SemiBold and Bold are cut from the same family and cover the same characters.
    return frozenset(regular.face.charToGlyph)


def printable(text: str) -> str:
    """``text`` with every character the font cannot draw folded to its base letter, or "?"."""
    drawable = _register_fonts()
    text = unicodedata.normalize("NFC", text)
    if all(ord(ch) in drawable for ch in text):
        return text
    out = []
    for ch in text:
        if ord(ch) in drawable:
            out.append(ch)
            continue
        base = "".join(
            c
            for c in unicodedata.normalize("NFKD", ch)
            if ord(c) in drawable and not unicodedata.combining(c)
        )
        out.append(base or "?")
    return "".join(out)


# --- Drawing -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _lines(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    """``text`` wrapped to ``width``; cached, as most paragraphs repeat on every letter."""
    return tuple(simpleSplit(printable(text), font, size, width))


def _date(value: datetime) -> str:
    """dd/mm/yyyy in the deployment's time zone (Europe/Paris unless TIME_ZONE says otherwise)."""
    return f"{timezone.localtime(value):%d/%m/%Y}"


class _Page:
    """A cursor going down one page of the canvas."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.y = PAGE_HEIGHT - MARGIN

    def text(
        self,
        text: str,
        *,
        font: str = FONT,
        size: float = 10.5,
        color: Color = BLACK,
        x: float = MARGIN,
        width: float = CONTENT_WIDTH,
        leading: float | None = None,
        after: float = 0.0,
    ) -> None:
        leading = leading or size * 1.35
        self.canvas.setFillColor(color)
        self.canvas.setFont(font, size)
        for line in _lines(text, font, size, width) or ("",):
            self.y -= leading
            self.canvas.drawString(x, self.y, line)
        self.y -= after


def _draw_qr_form(canvas: Canvas, url: str) -> None:
    widget = QrCodeWidget(url, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(
        QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x2 - x1), 0, 0, QR_SIZE / (y2 - y1), 0, 0]
    )
    drawing.add(widget)
    canvas.beginForm(QR_FORM)
    renderPDF.draw(drawing, canvas, 0, 0)
    canvas.endForm()


def _draw_header(page: _Page, ctx: LetterContext) -> None:
    c = page.canvas
    c.setFillColor(BLUE)
    c.rect(0, PAGE_HEIGHT - 10, PAGE_WIDTH, 10, stroke=0, fill=1)
    top = page.y
    page.text(ctx.establishment_name, font=FONT_BOLD, size=14, color=BLUE, width=300)
    details = _("UAI : %(uai)s") % {"uai": ctx.uai}
    if ctx.city:
        details = f"{details} · {ctx.city}"
    page.text(details, size=9.5, color=GREY, width=300)
    left_bottom = page.y
    c.setFillColor(BLUE)
    c.setFont(FONT_BOLD, 14)
    c.drawRightString(PAGE_WIDTH - MARGIN, top - 14 * 1.35, printable(ctx.ent_name))
    c.setFillColor(GREY)
    c.setFont(FONT, 9.5)
    c.drawRightString(PAGE_WIDTH - MARGIN, top - 14 * 1.35 - 9.5 * 1.35, printable(ctx.public_url))
    page.y = min(left_bottom, top - 14 * 1.35 - 9.5 * 1.35) - 14
    c.setStrokeColor(RULE)
    c.setLineWidth(1)
    c.line(MARGIN, page.y, PAGE_WIDTH - MARGIN, page.y)
    page.y -= 10


def _class_list(classes: Sequence[str]) -> str:
    return ", ".join(classes)


def _draw_person(page: _Page, letter: Letter) -> None:
    page.text(
        _("Courrier personnel et confidentiel à l’attention de"), size=9.5, color=GREY, after=2
    )
    page.text(letter.full_name, font=FONT_BOLD, size=18, leading=22, after=2)
    role = " · ".join(letter.profiles)
    if letter.classes:
        role = _("%(role)s · classe %(classes)s") % {
            "role": role,
            "classes": _class_list(letter.classes),
        }
    if letter.function:
        role = f"{role} · {letter.function}"
    page.text(role, size=11, color=GREY, after=4)
    if letter.children:
        page.text(
            _("Responsable de :") if len(letter.children) == 1 else _("Responsable des élèves :"),
            font=FONT_SEMIBOLD,
            size=10.5,
        )
        for child in letter.children:
            line = child.name
            if child.classes:
                line = _("%(name)s, classe %(classes)s") % {
                    "name": child.name,
                    "classes": _class_list(child.classes),
                }
            page.text(f"•  {line}", size=10.5, x=MARGIN + 8, width=CONTENT_WIDTH - 8)
        page.y -= 4


def _draw_credentials(page: _Page, letter: Letter, ctx: LetterContext) -> None:
    c = page.canvas
    box_top = page.y - 8
    box_height = QR_SIZE + 36
    c.setFillColor(LIGHT)
    c.setStrokeColor(RULE)
    c.roundRect(MARGIN, box_top - box_height, CONTENT_WIDTH, box_height, 6, stroke=1, fill=1)
    inner_x = MARGIN + 18
    text_width = CONTENT_WIDTH - QR_SIZE - 54
    page.y = box_top - 6

    def field(label: str, value: str, *, size: float = 17) -> None:
        page.text(label, size=9.5, color=GREY, x=inner_x, width=text_width, leading=14)
        page.text(
            value,
            font=FONT_BOLD,
            size=size,
            x=inner_x,
            width=text_width,
            leading=size * 1.25,
            after=4,
        )

    field(_("Adresse de l’ENT"), ctx.public_url, size=12)
    field(_("Identifiant"), letter.login)
    if letter.code is not None:
        field(_("Code d’activation"), activation_code_display(letter.code))
        if letter.expires_at is not None:
            page.text(
                _("À utiliser avant le %(date)s") % {"date": _date(letter.expires_at)},
                font=FONT_SEMIBOLD,
                size=10,
                color=BLUE,
                x=inner_x,
                width=text_width,
            )
    else:
        field(_("Mot de passe"), _("celui que vous avez choisi"), size=12)
    qr_x = PAGE_WIDTH - MARGIN - QR_SIZE - 18
    qr_y = box_top - QR_SIZE - 12
    c.saveState()
    c.translate(qr_x, qr_y)
    c.doForm(QR_FORM)
    c.restoreState()
    c.setFillColor(GREY)
    c.setFont(FONT, 8)
    c.drawCentredString(qr_x + QR_SIZE / 2, qr_y - 11, printable(_("Page de connexion")))
    page.y = box_top - box_height - 16


def _action_text(action: str, letter: Letter) -> str:
    """What a person does on the page of ``action``, in the letter's words."""
    from preau.activation.selectors import Action

    proof = letter.journey.email_proof_required
    texts = {
        Action.ACCEPT_CHARTER: _("lisez et acceptez la charte d’utilisation de l’ENT"),
        Action.UPDATE_PASSWORD: _(
            "choisissez votre mot de passe personnel, qui remplacera le code d’activation"
        ),
        Action.CONFIRM_BIRTH_DATE: _(
            "saisissez la date de naissance de votre enfant (la page indique de quel enfant "
            "il s’agit)"
        )
        if letter.is_guardian
        else _("saisissez votre date de naissance"),
        Action.UPDATE_CONTACT: _(
            "indiquez votre adresse électronique (obligatoire) et, si vous le souhaitez, un "
            "numéro de téléphone mobile, qui vous permettront de retrouver votre accès en cas "
            "d’oubli du mot de passe"
        )
        if proof and Action.VERIFY_EMAIL in _actions(letter.journey)
        else _(
            "indiquez une adresse électronique et un numéro de téléphone mobile (facultatifs), "
            "qui vous permettront de retrouver votre accès en cas d’oubli du mot de passe"
        ),
        Action.VERIFY_EMAIL: _(
            "ouvrez le message envoyé à votre adresse électronique et suivez son lien, qui "
            "active votre compte (pensez à regarder dans les courriers indésirables)"
        )
        if proof
        else _(
            "si vous avez indiqué une adresse électronique, suivez le lien qui vous y est "
            "envoyé, maintenant ou plus tard, pour la confirmer"
        ),
    }
    return str(texts.get(Action(action), ""))


def _actions(journey: Journey) -> list[str]:
    return [a for group in journey.steps for a in group]


def _sentence(text: str) -> str:
    return text + "."


def _journey_steps(letter: Letter, ctx: LetterContext) -> list[str]:
    """The numbered steps of ``letter``: sign in (with the choice to make), then one step per
    page of the first connection, named with the page's title."""
    from preau.activation.selectors import Action
    from preau.activation.steps import GROUP_TITLE, STEP_TITLES

    journey = letter.journey
    if journey.choice:
        opening = _(
            "Ouvrez %(url)s (ou scannez le QR code) ; sous « Vous êtes : », choisissez "
            "« %(choice)s »."
        ) % {"url": ctx.signin_url, "choice": journey.choice}
    else:
        opening = _("Ouvrez %(url)s (ou scannez le QR code).") % {"url": ctx.signin_url}
    steps = [
        opening,
        _(
            "Connectez-vous avec votre identifiant et votre code d’activation "
            "(majuscules ou minuscules, avec ou sans tiret)."
        ),
    ]
    for group in journey.steps:
        texts = [_action_text(action, letter) for action in group]
        title = STEP_TITLES[Action(group[0])] if len(group) == 1 else GROUP_TITLE
        steps.append(
            _("%(title)s : %(what)s")
            % {"title": title, "what": _sentence(" ; ".join(t for t in texts if t))}
        )
    return steps


def _draw_steps(page: _Page, letter: Letter, ctx: LetterContext) -> None:
    if letter.code is None:
        page.text(_("Votre compte est déjà activé"), font=FONT_BOLD, size=13, color=BLUE, after=4)
        paragraphs = [
            _(
                "Ce courrier ne contient pas de code d’activation : vous avez déjà effectué votre "
                "première connexion. Connectez-vous sur %(url)s avec votre identifiant et le mot "
                "de passe que vous avez choisi."
            )
            % {"url": ctx.signin_url},
            _(
                "Mot de passe oublié ? Sur la page de connexion, choisissez "
                "« Mot de passe oublié » : un lien de réinitialisation est envoyé à l’adresse "
                "électronique ou au téléphone mobile que vous avez indiqués. Si vous n’en aviez "
                "pas indiqué, adressez-vous à votre établissement, qui pourra réinitialiser "
                "votre accès."
            ),
        ]
        for paragraph in paragraphs:
            page.text(paragraph, size=10.5, after=6)
        return

    page.text(
        _("Votre première connexion, étape par étape"), font=FONT_BOLD, size=13, color=BLUE, after=4
    )
    steps = _journey_steps(letter, ctx)
    # A long journey (e-mail proof, a guardian's several children above) is set tighter, so
    # that the page still ends above the help box.
    size, after = (10.5, 5.0) if len(steps) <= 6 else (10.0, 2.5)  # noqa: PLR2004
    c = page.canvas
    for number, step in enumerate(steps, start=1):
        top = page.y
        c.setFillColor(BLUE)
        c.circle(MARGIN + 8, top - size, 8, stroke=0, fill=1)
        c.setFillColor(Color(1, 1, 1))
        c.setFont(FONT_BOLD, 9.5)
        c.drawCentredString(MARGIN + 8, top - size - 3.3, str(number))
        page.text(step, size=size, x=MARGIN + 26, width=CONTENT_WIDTH - 26, after=after)
    page.y -= 2
    page.text(
        _(
            "Le code d’activation ne sert qu’à la première connexion. Conservez ce courrier "
            "en lieu sûr et ne communiquez jamais votre mot de passe, même à l’établissement."
        ),
        font=FONT_SEMIBOLD,
        size=10,
        after=4,
    )


def _draw_footer(page: _Page, ctx: LetterContext) -> None:
    c = page.canvas
    help_lines = _lines(ctx.help_text, FONT, 10, CONTENT_WIDTH - 24)
    box_height = 30 + 13 * len(help_lines)
    bottom = MARGIN + 18
    c.setStrokeColor(RULE)
    c.setFillColor(Color(1, 1, 1))
    c.roundRect(MARGIN, bottom, CONTENT_WIDTH, box_height, 6, stroke=1, fill=1)
    c.setFillColor(BLUE)
    c.setFont(FONT_BOLD, 11)
    c.drawString(MARGIN + 12, bottom + box_height - 17, printable(_("Besoin d’aide ?")))
    c.setFillColor(BLACK)
    c.setFont(FONT, 10)
    y = bottom + box_height - 17
    for line in help_lines:
        y -= 13
        c.drawString(MARGIN + 12, y, line)
    c.setFillColor(GREY)
    c.setFont(FONT, 8)
    c.drawString(
        MARGIN,
        MARGIN - 4,
        printable(
            _("%(ent)s · courrier édité le %(date)s")
            % {"ent": ctx.ent_name, "date": _date(ctx.printed_on)}
        ),
    )


def letters_render(*, context: LetterContext, letters: Sequence[Letter]) -> bytes:
    """The PDF of ``letters``, one A4 page each, in the given order."""
    _register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(printable(_("Courriers de connexion — %(name)s") % {"name": context.uai}))
    canvas.setAuthor(printable(context.ent_name))
    canvas.setCreator("Préau")
    _draw_qr_form(canvas, context.signin_url)
    for letter in letters:
        page = _Page(canvas)
        _draw_header(page, context)
        _draw_person(page, letter)
        _draw_credentials(page, letter, context)
        _draw_steps(page, letter, context)
        _draw_footer(page, context)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
