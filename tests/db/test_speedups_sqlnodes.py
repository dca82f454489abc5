"""covet._speedups.sqlnodes, compiled and interpreted: the nodes the compiler reads through C."""

from __future__ import annotations

from types import ModuleType

import pytest

import covet._speedups as speedups
from tests import kernels


@pytest.fixture(params=["compiled", "interpreted"])
def nodes(request: pytest.FixtureRequest) -> ModuleType:
    return kernels.form("sqlnodes", request.param)


def test_the_compiled_module_is_the_extension() -> None:
    assert speedups.is_compiled(kernels.compiled("sqlnodes"))
    # The compiler cimports the nodes: it comes after them, so COVET_NO_EXTENSIONS swaps both.
    order = speedups.COMPILED_MODULES
    assert order.index("sqlnodes") < order.index("sqlcompile")


def test_both_forms_export_the_same_constants() -> None:
    compiled, interpreted = kernels.compiled("sqlnodes"), kernels.interpreted("sqlnodes")
    names = [
        name
        for name in dir(interpreted)
        if name.isupper() and name[:2] in ("K_", "OP", "C_", "JO", "LO", "WA", "NU", "CO", "P_")
    ]
    assert len(names) > 60
    assert {name: getattr(compiled, name) for name in names} == {
        name: getattr(interpreted, name) for name in names
    }

def test_a_column_belongs_to_one_table(nodes: ModuleType) -> None:
    column = nodes.ColumnNode("a")
    column._attach(nodes.TableNode("t"))
    with pytest.raises(ValueError, match="already belongs to 't'"):
        column._attach(nodes.TableNode("u"))

def test_python_nodes_cannot_claim_a_compiled_node_kind(nodes: ModuleType) -> None:
    class Impostor(nodes.Node):  # type: ignore[misc, name-defined]
        __slots__ = ("name",)

    node = Impostor()
    nodes.init_node(node, nodes.K_CASE, nodes.P_ATOM, 0)  # a kind read by attribute: fine
    assert (node.kind, node.prec) == (nodes.K_CASE, nodes.P_ATOM)
    for kind in (nodes.K_COLUMN, nodes.K_SELECT, nodes.K_TABLE):
        with pytest.raises(ValueError, match="belongs to a compiled node class"):
            nodes.init_node(node, kind, nodes.P_ATOM, 0)  # would be C-cast to the wrong class
