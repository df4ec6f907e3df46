"""A contact as shown to someone who must recognise it without learning it: ``06 •• •• •• 78``,
``j…@exemple.fr``. Used in the warnings of a changed contact and in the audit, and where the
forgotten-password pages say where a code went."""

from __future__ import annotations

from preau.notify.phones import mobile_display


def mask_email(address: str) -> str:
    """``jeanne.martin@exemple.fr`` → ``j…@exemple.fr`` (``…`` for what is no address)."""
    local, _sep, domain = address.partition("@")
    return f"{local[:1]}…@{domain}" if domain else "…"


def mask_mobile(e164: str) -> str:
    """``+33612345678`` → ``06 •• •• •• 78``: enough for the owner to recognise a number, not
    to call it."""
    shown = mobile_display(e164)
    digits = [i for i, ch in enumerate(shown) if ch.isdigit()]
    hidden = set(digits[2:-2]) if len(digits) > 4 else set()
    return "".join("•" if i in hidden else ch for i, ch in enumerate(shown))
