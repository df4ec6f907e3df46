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
