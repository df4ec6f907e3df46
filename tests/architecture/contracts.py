"""Import-linter contracts that its built-in types cannot say (``make lint`` runs them).

``views_private``: a view belongs to its app. A module named ``views`` or ``views_*`` may be
imported only from inside its own app package (its ``urls``, its sibling views, its template
tags) and by the root URLconf; what two apps share lives in a lower module (``forms``,
``selectors``, ``throttle``…), never in a view another app reaches into.
"""

from __future__ import annotations

from typing import Any

import grimp
from importlinter import Contract, ContractCheck, fields, output


def _is_view_module(module: str) -> bool:
    name = module.rpartition(".")[2]
    return name == "views" or name.startswith("views_")


def views_imported_from_outside(
    graph: grimp.ImportGraph, root: str, extra_importers: set[str]
) -> list[dict[str, Any]]:
    """The imports of a view module of ``root`` from outside the view's own app package."""
    links = []
    for module in sorted(graph.modules):
        if not module.startswith(f"{root}.") or not _is_view_module(module):
            continue
        app = module.rpartition(".")[0]
        for importer in sorted(graph.find_modules_that_directly_import(module)):
            if importer in extra_importers or importer.startswith(f"{app}."):
                continue
            details = graph.get_import_details(importer=importer, imported=module)
            links.append(
                {
                    "importer": importer,
                    "imported": module,
                    "line_numbers": tuple(d["line_number"] for d in details),
                }
            )
    return links


class ViewsPrivateContract(Contract):
    """No app imports another app's views. Options: ``root`` (the package),
    ``extra_importers`` (modules allowed anyway: the root URLconf)."""

    type_name = "views_private"

    root = fields.StringField()
    extra_importers = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        links = views_imported_from_outside(
            graph,
            str(self.root),
            set(self.extra_importers or []),  # type: ignore[call-overload]
        )
        return ContractCheck(kept=not links, metadata={"links": links})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for link in check.metadata["links"]:
            lines = ", ".join(str(n) for n in link["line_numbers"])
            output.print_error(
                f"{link['importer']} imports {link['imported']} (l. {lines}): "
                "move what it needs out of the view module, below both apps.",
                bold=False,
            )
            output.new_line()
