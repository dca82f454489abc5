from typing import Any, Final, Optional

K_TABLE: Final[int]
K_COMPOUND: Final[int]
K_CTE: Final[int]
SET_UNION: Final[int]
SET_INTERSECT: Final[int]
SET_EXCEPT: Final[int]
FRAME_NONE: Final[int]
FRAME_ROWS: Final[int]
FRAME_RANGE: Final[int]
K_SUBQUERY: Final[int]
K_JOIN: Final[int]
K_COLUMN: Final[int]
K_PARAM: Final[int]
K_CONST: Final[int]
K_BINARY: Final[int]
K_BOOL: Final[int]
K_UNARY: Final[int]
K_NULL_TEST: Final[int]
K_IN_LIST: Final[int]
K_IN_SELECT: Final[int]
K_BETWEEN: Final[int]
K_LIKE: Final[int]
K_FUNC: Final[int]
K_WINDOW: Final[int]
K_CASE: Final[int]
K_CAST: Final[int]
K_LABEL: Final[int]
K_ORDER: Final[int]
K_SCALAR: Final[int]
K_EXISTS: Final[int]
K_EXCLUDED: Final[int]
K_SELECT: Final[int]
K_INSERT: Final[int]
K_UPDATE: Final[int]
K_DELETE: Final[int]

OP_EQ: Final[int]
OP_NE: Final[int]
OP_LT: Final[int]
OP_LE: Final[int]
OP_GT: Final[int]
OP_GE: Final[int]
OP_ADD: Final[int]
OP_SUB: Final[int]
OP_MUL: Final[int]
OP_DIV: Final[int]
OP_MOD: Final[int]
OP_CONCAT: Final[int]
OP_AND: Final[int]
OP_OR: Final[int]
OP_NOT: Final[int]
OP_NEG: Final[int]

C_NULL: Final[int]
C_TRUE: Final[int]
C_FALSE: Final[int]
C_STAR: Final[int]

JOIN_INNER: Final[int]
JOIN_LEFT: Final[int]
JOIN_RIGHT: Final[int]
JOIN_FULL: Final[int]
JOIN_CROSS: Final[int]

LOCK_NONE: Final[int]
LOCK_UPDATE: Final[int]
LOCK_SHARE: Final[int]
WAIT_DEFAULT: Final[int]
WAIT_NOWAIT: Final[int]
WAIT_SKIP_LOCKED: Final[int]

NULLS_DEFAULT: Final[int]
NULLS_FIRST: Final[int]
NULLS_LAST: Final[int]

CONFLICT_NONE: Final[int]
CONFLICT_NOTHING: Final[int]
CONFLICT_UPDATE: Final[int]

P_OR: Final[int]
P_AND: Final[int]
P_NOT: Final[int]
P_CMP: Final[int]
P_CONCAT: Final[int]
P_ADD: Final[int]
P_MUL: Final[int]
P_NEG: Final[int]
P_ATOM: Final[int]

class Node:
    @property
    def kind(self) -> int: ...
    @property
    def prec(self) -> int: ...
    @property
    def code(self) -> int: ...

class FromNode(Node):
    @property
    def ref(self) -> str: ...
    @property
    def ref_schema(self) -> Optional[str]: ...

def init_node(node: Node, kind: int, prec: int, flags: int) -> None: ...
def init_from(node: FromNode, ref: str) -> None: ...

class TableNode(FromNode):
    def __init__(self, name: str, schema: Optional[str] = None, alias: Optional[str] = None) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def schema(self) -> Optional[str]: ...
    @property
    def alias_name(self) -> Optional[str]: ...
    @property
    def token(self) -> str: ...

class SubqueryNode(FromNode):
    def __init__(self, select: Node, name: str) -> None: ...
    @property
    def select(self) -> Node: ...
    @property
    def name(self) -> str: ...

class JoinNode(Node):
    def __init__(self, left: Node, right: Node, on: Optional[Node], join_type: int) -> None: ...
    @property
    def left(self) -> Node: ...
    @property
    def right(self) -> Node: ...
    @property
    def on(self) -> Optional[Node]: ...
    @property
    def join_type(self) -> int: ...

class ColumnNode(Node):
    def __init__(self, name: str, sql_type: Optional[str] = None) -> None: ...
    def _attach(self, table: FromNode) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def table(self) -> Optional[FromNode]: ...
    @property
    def sql_type(self) -> Optional[str]: ...
    @property
    def token(self) -> str: ...

class ParamNode(Node):
    def __init__(self, value: object) -> None: ...
    @property
    def value(self) -> Any: ...

class ConstNode(Node):
    def __init__(self, const: int) -> None: ...
    @property
    def const(self) -> int: ...

class BinaryNode(Node):
    def __init__(self, op: int, left: Node, right: Node) -> None: ...
    @property
    def op(self) -> int: ...
    @property
    def left(self) -> Node: ...
    @property
    def right(self) -> Node: ...

class BoolNode(Node):
    def __init__(self, op: int, items: tuple[Node, ...]) -> None: ...
    @property
    def op(self) -> int: ...
    @property
    def items(self) -> tuple[Node, ...]: ...

class UnaryNode(Node):
    def __init__(self, op: int, operand: Node) -> None: ...
    @property
    def op(self) -> int: ...
    @property
    def operand(self) -> Node: ...

class NullTestNode(Node):
    def __init__(self, operand: Node, negate: bool) -> None: ...
    @property
    def operand(self) -> Node: ...
    @property
    def negate(self) -> bool: ...

class InListNode(Node):
    def __init__(
        self, operand: Node, values: tuple[Any, ...], negate: bool, array_type: Optional[str] = None
    ) -> None: ...
    @property
    def operand(self) -> Node: ...
    @property
    def values(self) -> tuple[Any, ...]: ...
    @property
    def negate(self) -> bool: ...
    @property
    def array_type(self) -> Optional[str]: ...

class LikeNode(Node):
    def __init__(
        self, operand: Node, pattern: Node, escape: Optional[Node], negate: bool, case_insensitive: bool
    ) -> None: ...
    @property
    def operand(self) -> Node: ...
    @property
    def pattern(self) -> Node: ...
    @property
    def escape(self) -> Optional[Node]: ...
    @property
    def negate(self) -> bool: ...
    @property
    def case_insensitive(self) -> bool: ...

class FuncNode(Node):
    def __init__(
        self, name: str, args: tuple[Node, ...], distinct: bool = False, filter_clause: Optional[Node] = None
    ) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def args(self) -> tuple[Node, ...]: ...
    @property
    def distinct(self) -> bool: ...
    @property
    def filter_clause(self) -> Optional[Node]: ...

class LabelNode(Node):
    def __init__(self, element: Node, name: str) -> None: ...
    @property
    def element(self) -> Node: ...
    @property
    def name(self) -> str: ...

class OrderNode(Node):
    def __init__(self, element: Node, desc: bool, nulls: int = ...) -> None: ...
    @property
    def element(self) -> Node: ...
    @property
    def desc(self) -> bool: ...
    @property
    def nulls(self) -> int: ...

class SelectNode(Node):
    def __init__(
        self,
        columns: tuple[Node, ...],
        froms: tuple[Node, ...] = (),
        where: Optional[Node] = None,
        group_by: tuple[Node, ...] = (),
        having: Optional[Node] = None,
        order_by: tuple[Node, ...] = (),
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        distinct: bool = False,
        lock: int = ...,
        lock_wait: int = ...,
        lock_of: tuple[TableNode, ...] = (),
        ctes: tuple[Node, ...] = (),
    ) -> None: ...
    @property
    def columns(self) -> tuple[Node, ...]: ...
    @property
    def froms(self) -> tuple[Node, ...]: ...
    @property
    def where_clause(self) -> Optional[Node]: ...
    @property
    def group_items(self) -> tuple[Node, ...]: ...
    @property
    def having_clause(self) -> Optional[Node]: ...
    @property
    def order_items(self) -> tuple[Node, ...]: ...
    @property
    def limit_value(self) -> Optional[int]: ...
    @property
    def offset_value(self) -> Optional[int]: ...
    @property
    def is_distinct(self) -> bool: ...
    @property
    def lock(self) -> int: ...
    @property
    def lock_wait(self) -> int: ...
    @property
    def lock_of(self) -> tuple[TableNode, ...]: ...
    @property
    def ctes(self) -> tuple[Node, ...]: ...

class InsertNode(Node):
    def __init__(
        self,
        table: TableNode,
        columns: tuple[str, ...],
        rows: tuple[tuple[Any, ...], ...] = (),
        raw_rows: bool = True,
        select: Optional[SelectNode] = None,
        conflict: int = ...,
        conflict_target: tuple[str, ...] = (),
        set_names: tuple[str, ...] = (),
        set_values: tuple[Node, ...] = (),
        conflict_where: Optional[Node] = None,
        returning: tuple[Node, ...] = (),
    ) -> None: ...
    @property
    def table(self) -> TableNode: ...
    @property
    def columns(self) -> tuple[str, ...]: ...
    @property
    def rows(self) -> tuple[tuple[Any, ...], ...]: ...
    @property
    def raw_rows(self) -> bool: ...
    @property
    def select(self) -> Optional[SelectNode]: ...
    @property
    def conflict(self) -> int: ...
    @property
    def conflict_target(self) -> tuple[str, ...]: ...
    @property
    def set_names(self) -> tuple[str, ...]: ...
    @property
    def set_values(self) -> tuple[Node, ...]: ...
    @property
    def conflict_where(self) -> Optional[Node]: ...
    @property
    def returning_items(self) -> tuple[Node, ...]: ...

class UpdateNode(Node):
    def __init__(
        self,
        table: TableNode,
        set_names: tuple[str, ...],
        set_values: tuple[Node, ...],
        where: Optional[Node] = None,
        returning: tuple[Node, ...] = (),
    ) -> None: ...
    @property
    def table(self) -> TableNode: ...
    @property
    def set_names(self) -> tuple[str, ...]: ...
    @property
    def set_values(self) -> tuple[Node, ...]: ...
    @property
    def where_clause(self) -> Optional[Node]: ...
    @property
    def returning_items(self) -> tuple[Node, ...]: ...

class DeleteNode(Node):
    def __init__(
        self, table: TableNode, where: Optional[Node] = None, returning: tuple[Node, ...] = ()
    ) -> None: ...
    @property
    def table(self) -> TableNode: ...
    @property
    def where_clause(self) -> Optional[Node]: ...
    @property
    def returning_items(self) -> tuple[Node, ...]: ...
