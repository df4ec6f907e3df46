"""Every audit action the code writes has a French label (issue 12, part 7).

The source of ``preau`` is read: every ``action=`` given to a call, every ``action = "…"``
assignment and every ``"action": "…"`` of an event row is an action name. A new one without
its label in ``preau.audit.labels`` fails here, before a school reads it raw."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import preau
from preau.audit.labels import AUDIT_ACTION_LABELS, UnknownAuditAction, audit_action_label
from preau.audit.models import AuditEvent
from preau.audit.services import audit_event_build, audit_record

SOURCE = Path(preau.__file__).parent
# ``action=`` of argparse's add_argument, not an audit action.
ARGPARSE_ACTIONS = {"store", "store_true", "store_false", "store_const", "append", "count"}
AUDIT_CALLS = {"audit_record", "audit_event_build"}


def _strings(node: ast.AST | None) -> Iterator[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _call_actions(node: ast.Call, where: str, opaque: list[str]) -> list[str]:
    """The actions given to a call as ``action=``; an audit call whose action is neither a
    literal nor a variable named ``action`` is added to ``opaque``."""
    names: list[str] = []
    for keyword in node.keywords:
        if keyword.arg != "action":
            continue
        literal = list(_strings(keyword.value))
        names.extend(literal)
        follows = isinstance(keyword.value, ast.Name) and keyword.value.id == "action"
        if _call_name(node) in AUDIT_CALLS and not literal and not follows:
            opaque.append(f"{where}:{node.lineno}")
    return names


def _assign_actions(node: ast.Assign) -> list[str]:
    """The actions assigned to a variable named ``action`` (alone or in a tuple)."""
    names: list[str] = []
    for target in node.targets:
        if isinstance(target, ast.Name) and target.id == "action":
            names.extend(_strings(node.value))
        elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
            for name, value in zip(target.elts, node.value.elts, strict=False):
                if isinstance(name, ast.Name) and name.id == "action":
                    names.extend(_strings(value))
    return names


def _dict_actions(node: ast.Dict) -> list[str]:
    """The actions of an event row: ``{"action": "…"}``."""
    return [
        name
        for key, value in zip(node.keys, node.values, strict=True)
        if isinstance(key, ast.Constant) and key.value == "action"
        for name in _strings(value)
    ]


def _node_actions(node: ast.AST, where: str, opaque: list[str]) -> list[str]:
    if isinstance(node, ast.Call):
        return _call_actions(node, where, opaque)
    if isinstance(node, ast.Assign):
        return _assign_actions(node)
    if isinstance(node, ast.Dict):
        return _dict_actions(node)
    return []


def _written_actions() -> tuple[dict[str, set[str]], list[str]]:
    """Action names found in the source (name → files), and the audit calls whose action is
    neither a literal nor a variable named ``action`` (which the scan could not follow)."""
    found: dict[str, set[str]] = {}
    opaque: list[str] = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        where = str(path.relative_to(SOURCE))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for name in _node_actions(node, where, opaque):
                if name not in ARGPARSE_ACTIONS:
                    found.setdefault(name, set()).add(where)
    return found, opaque


def test_every_action_written_anywhere_has_a_french_label() -> None:
    found, opaque = _written_actions()
    # The scan sees the actions it must (one per kind of writer), so an empty result can't pass.
    for known in ("signin.success", "help_request.create", "account.create", "account.delete"):
        assert known in found, known
    missing = {
        name: sorted(files) for name, files in found.items() if name not in AUDIT_ACTION_LABELS
    }
    assert not missing, f"audit actions without a French label in preau.audit.labels: {missing}"
    assert not opaque, f"audit calls whose action the scan cannot read: {opaque}"


def test_labels_are_french_sentences_not_codes() -> None:
    for action, label in AUDIT_ACTION_LABELS.items():
        text = str(label)
        assert text and "." not in text.split(maxsplit=1)[0] and "_" not in text, (action, text)
        assert text[0].isupper(), (action, text)
    assert audit_action_label("recovery.code.failure") == (
        "Mot de passe oublié : code reçu par SMS erroné"
    )
    # An action renamed since: shown as stored rather than hidden.
    assert audit_action_label("old.action") == "old.action"


@pytest.mark.django_db
def test_an_action_without_a_label_is_refused_before_anything_is_written() -> None:
    with pytest.raises(UnknownAuditAction, match="account.typo"):
        audit_record(action="account.typo")
    with pytest.raises(UnknownAuditAction):
        audit_event_build(action="")
    assert not AuditEvent.objects.exists()
    assert audit_record(action="signin.success").pk is not None
