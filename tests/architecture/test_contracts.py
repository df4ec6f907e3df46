"""The custom import contract catches what it must (make lint runs it on the real graph)."""

from __future__ import annotations

import grimp

from tests.architecture.contracts import views_imported_from_outside


def test_a_view_imported_by_another_app_is_reported_its_own_app_is_not() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [
        ("preau.signin.urls", "preau.signin.views"),
        ("preau.console.views_help", "preau.console.views_actions"),
        ("preau.console.templatetags.tags", "preau.console.views_actions"),
        ("preau.urls", "preau.portal.views"),
        ("preau.sso.cas.urls", "preau.sso.cas.views"),
        ("preau.sso.cas.views", "preau.signin.views"),
        ("preau.sso.oidc.views", "preau.sso.cas.views"),
        ("preau.signin.forms", "preau.account.views_sessions"),
    ]:
        graph.add_import(importer=importer, imported=imported, line_number=3, line_contents="")
    links = views_imported_from_outside(graph, "preau", {"preau.urls"})
    assert [(link["importer"], link["imported"]) for link in links] == [
        ("preau.signin.forms", "preau.account.views_sessions"),
        ("preau.sso.cas.views", "preau.signin.views"),
        ("preau.sso.oidc.views", "preau.sso.cas.views"),
    ]


def test_an_upward_import_breaks_the_layers_that_make_lint_checks() -> None:
    """The layer contracts of pyproject.toml hold on the code as it is, and each one fails as
    soon as a lower layer imports an upper one (what `make lint` would then report)."""
    import tomllib
    from pathlib import Path

    from importlinter.contracts.layers import LayersContract

    config = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    upward = {
        "layers": ("preau.directory.models", "preau.console.views"),
        "features": ("preau.signin.services", "preau.recovery.helpdesk"),
    }
    checked = []
    for spec in config["tool"]["importlinter"]["contracts"]:
        if spec["type"] != "layers":
            continue
        options = {k: v for k, v in spec.items() if k not in ("id", "name", "type")}
        contract = LayersContract(
            name=spec["name"],
            session_options={"root_packages": ["preau"]},
            contract_options=options,
        )
        graph = grimp.build_graph("preau")
        assert contract.check(graph, verbose=False).kept, spec["id"]
        importer, imported = upward[spec["id"]]
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="")
        assert not contract.check(graph, verbose=False).kept, spec["id"]
        checked.append(spec["id"])
    assert sorted(checked) == ["features", "layers"]
