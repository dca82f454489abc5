"""The query nodes the compiler reads through C structs, and the constants that describe them.

A node is plain data: a ``kind`` (which node), ``prec`` (how tightly it binds) and ``code`` (its
kind with the flags that change its SQL: operator, NOT, DESC …), set once in ``__init__``, plus
its children and values. ``covet.db.query`` subclasses these to add Python operators and builder
methods; the rarer nodes are plain Python classes there (``covet.db.query.nodes``), initialised
through :func:`init_node`. ``covet._speedups.sqlcompile`` renders them.

One source for both modes: ``sqlnodes.pxd`` types it for Cython; interpreted, it is plain Python.
"""

import cython

if not cython.compiled:
    # Node kinds (cpdef enums in the .pxd when compiled).
    K_TABLE = 1
    K_SUBQUERY = 2
    K_JOIN = 3
    K_COLUMN = 4
    K_PARAM = 5
    K_CONST = 6
    K_BINARY = 7
    K_BOOL = 8
    K_UNARY = 9
    K_NULL_TEST = 10
    K_IN_LIST = 11
    K_IN_SELECT = 12
    K_BETWEEN = 13
    K_LIKE = 14
    K_FUNC = 15
    K_WINDOW = 16
    K_CASE = 17
    K_CAST = 18
    K_LABEL = 19
    K_ORDER = 20
    K_SCALAR = 21
    K_EXISTS = 22
    K_EXCLUDED = 23
    K_SELECT = 24
    K_INSERT = 25
    K_UPDATE = 26
    K_DELETE = 27
    K_COMPOUND = 28
    K_CTE = 29
    # Binary operators.
    OP_EQ = 0
    OP_NE = 1
    OP_LT = 2
    OP_LE = 3
    OP_GT = 4
    OP_GE = 5
    OP_ADD = 6
    OP_SUB = 7
    OP_MUL = 8
    OP_DIV = 9
    OP_MOD = 10
    OP_CONCAT = 11
    # Boolean and unary operators.
    OP_AND = 0
    OP_OR = 1
    OP_NOT = 0
    OP_NEG = 1
    # Constants.
    C_NULL = 0
    C_TRUE = 1
    C_FALSE = 2
    C_STAR = 3
    # Joins.
    JOIN_INNER = 0
    JOIN_LEFT = 1
    JOIN_RIGHT = 2
    JOIN_FULL = 3
    JOIN_CROSS = 4
    # Row locks (SELECT ... FOR UPDATE) and how they wait.
    LOCK_NONE = 0
    LOCK_UPDATE = 1
    LOCK_SHARE = 2
    WAIT_DEFAULT = 0
    WAIT_NOWAIT = 1
    WAIT_SKIP_LOCKED = 2
    # ORDER BY ... NULLS.
    NULLS_DEFAULT = 0
    NULLS_FIRST = 1
    NULLS_LAST = 2
    # Upserts.
    CONFLICT_NONE = 0
    CONFLICT_NOTHING = 1
    CONFLICT_UPDATE = 2
    # Set operations of a compound select (the ALL flag is separate).
    SET_UNION = 0
    SET_INTERSECT = 1
    SET_EXCEPT = 2
    # Window frames.
    FRAME_NONE = 0
    FRAME_ROWS = 1
    FRAME_RANGE = 2
    # Precedence: a child binding less tightly than its parent is parenthesised.
    P_OR = 1
    P_AND = 2
    P_NOT = 3
    P_CMP = 4
    P_CONCAT = 5
    P_ADD = 6
    P_MUL = 7
    P_NEG = 8
    P_ATOM = 100

_BINARY_PREC = (P_CMP, P_CMP, P_CMP, P_CMP, P_CMP, P_CMP, P_ADD, P_ADD, P_MUL, P_MUL, P_MUL, P_CONCAT)
# The kinds of nodes defined in Python (covet.db.query.nodes), which the walker reads by attribute.
_PYTHON_KINDS = frozenset(
    (K_IN_SELECT, K_BETWEEN, K_WINDOW, K_CASE, K_CAST, K_SCALAR, K_EXISTS, K_EXCLUDED, K_COMPOUND, K_CTE)
)


# -- nodes -------------------------------------------------------------------------------------

_CODES = {}


def _code(value):
    """``value`` as one shared int object, so shape keys hold (and compare) the same objects.

    PERF: a node's code goes into every shape key; an int above 256 would otherwise be a new
    object each time it is appended, and each key comparison a value comparison.
    """
    code = _CODES.get(value)
    if code is None:
        code = _CODES[value] = value
    return code



class Node:
    """Base of every query node."""

    __slots__ = ("kind", "prec", "code")


def init_node(node, kind, prec, flags):
    """Set the kind, precedence and code of a node class defined in Python (``covet.db.query.nodes``).

    Only the kinds the walker reads by attribute are accepted: the kernel's own node classes are
    read through C casts that trust their kind, so no other object may claim one of those kinds.
    """
    if kind not in _PYTHON_KINDS:
        raise ValueError(f"node kind {kind} belongs to a compiled node class")
    node.kind = kind
    node.prec = prec
    node.code = _code(kind << 8 | flags)


def init_from(node, ref):
    """Set the name columns of a Python-defined FROM item (a CTE) are qualified by."""
    node.ref = ref
    node.ref_schema = None


class FromNode(Node):
    """Something a FROM clause names and columns are qualified by: a table or an aliased subquery."""

    __slots__ = ("ref", "ref_schema")


class TableNode(FromNode):
    __slots__ = ("name", "schema", "alias_name", "token")

    def __init__(self, name, schema=None, alias=None):
        self.kind = K_TABLE
        self.prec = P_ATOM
        self.code = _code(K_TABLE << 8)
        self.name = name
        self.schema = schema
        self.alias_name = alias
        self.ref = name if alias is None else alias
        self.ref_schema = schema if alias is None else None
        self.token = "t\0%s\0%s\0%s" % (schema or "", name, alias or "")


class SubqueryNode(FromNode):
    __slots__ = ("select", "name")

    def __init__(self, select, name):
        self.kind = K_SUBQUERY
        self.prec = P_ATOM
        self.code = _code(K_SUBQUERY << 8)
        self.select = select
        self.name = name
        self.ref = name
        self.ref_schema = None


class JoinNode(Node):
    __slots__ = ("left", "right", "on", "join_type")

    def __init__(self, left, right, on, join_type):
        self.kind = K_JOIN
        self.prec = P_ATOM
        self.code = _code(K_JOIN << 8 | join_type << 1 | (on is not None))
        self.left = left
        self.right = right
        self.on = on
        self.join_type = join_type


class ColumnNode(Node):
    __slots__ = ("name", "table", "sql_type", "token")

    def __init__(self, name, sql_type=None):
        self.kind = K_COLUMN
        self.prec = P_ATOM
        self.code = _code(K_COLUMN << 8)
        self.name = name
        self.table = None
        self.sql_type = sql_type
        self.token = "c\0\0\0" + name

    def _attach(self, table):
        """Make ``table`` (a table, alias or subquery) the one this column is qualified by."""
        if self.table is not None:
            raise ValueError(f"column {self.name!r} already belongs to {self.table.ref!r}")
        self.table = table
        self.token = "c\0%s\0%s\0%s" % (table.ref_schema or "", table.ref, self.name)


class ParamNode(Node):
    __slots__ = ("value",)

    def __init__(self, value):
        self.kind = K_PARAM
        self.prec = P_ATOM
        self.code = _code(K_PARAM << 8)
        self.value = value


class ConstNode(Node):
    __slots__ = ("const",)

    def __init__(self, const):
        self.kind = K_CONST
        self.prec = P_ATOM
        self.code = _code(K_CONST << 8 | const)
        self.const = const


class BinaryNode(Node):
    __slots__ = ("op", "left", "right")

    def __init__(self, op, left, right):
        self.kind = K_BINARY
        self.prec = _BINARY_PREC[op]
        self.code = _code(K_BINARY << 8 | op)
        self.op = op
        self.left = left
        self.right = right


class BoolNode(Node):
    __slots__ = ("op", "items")

    def __init__(self, op, items):
        self.kind = K_BOOL
        self.prec = P_AND if op == OP_AND else P_OR
        self.code = _code(K_BOOL << 8 | op)
        self.op = op
        self.items = items


class UnaryNode(Node):
    __slots__ = ("op", "operand")

    def __init__(self, op, operand):
        self.kind = K_UNARY
        self.prec = P_NOT if op == OP_NOT else P_NEG
        self.code = _code(K_UNARY << 8 | op)
        self.op = op
        self.operand = operand


class NullTestNode(Node):
    __slots__ = ("operand", "negate")

    def __init__(self, operand, negate):
        self.kind = K_NULL_TEST
        self.prec = P_CMP
        self.code = _code(K_NULL_TEST << 8 | negate)
        self.operand = operand
        self.negate = negate


class InListNode(Node):
    """``operand IN (values)``; ``array_type`` names the SQL type of the values when they can be
    sent as one array parameter (``= ANY(%s::bigint[])``) to dialects that prefer that."""

    __slots__ = ("operand", "values", "negate", "array_type")

    def __init__(self, operand, values, negate, array_type=None):
        self.kind = K_IN_LIST
        self.prec = P_CMP
        self.code = _code(K_IN_LIST << 8 | negate)
        self.operand = operand
        self.values = values
        self.negate = negate
        self.array_type = array_type


class LikeNode(Node):
    __slots__ = ("operand", "pattern", "escape", "negate", "case_insensitive")

    def __init__(self, operand, pattern, escape, negate, case_insensitive):
        self.kind = K_LIKE
        self.prec = P_CMP
        self.code = _code(K_LIKE << 8 | negate | case_insensitive << 1 | (escape is not None) << 2)
        self.operand = operand
        self.pattern = pattern
        self.escape = escape
        self.negate = negate
        self.case_insensitive = case_insensitive


class FuncNode(Node):
    __slots__ = ("name", "args", "distinct", "filter_clause")

    def __init__(self, name, args, distinct=False, filter_clause=None):
        self.kind = K_FUNC
        self.prec = P_ATOM
        self.code = _code(K_FUNC << 8 | distinct | (filter_clause is not None) << 1)
        self.name = name
        self.args = args
        self.distinct = distinct
        self.filter_clause = filter_clause


class LabelNode(Node):
    """``element AS name`` in a select list; elsewhere (ORDER BY, GROUP BY) just ``name``."""

    __slots__ = ("element", "name")

    def __init__(self, element, name):
        self.kind = K_LABEL
        self.prec = P_ATOM
        self.code = _code(K_LABEL << 8)
        self.element = element
        self.name = name


class OrderNode(Node):
    __slots__ = ("element", "desc", "nulls")

    def __init__(self, element, desc, nulls=NULLS_DEFAULT):
        self.kind = K_ORDER
        self.prec = P_ATOM
        self.code = _code(K_ORDER << 8 | desc | nulls << 1)
        self.element = element
        self.desc = desc
        self.nulls = nulls


class SelectNode(Node):
    __slots__ = ("columns", "froms", "where_clause", "group_items", "having_clause", "order_items",
                 "limit_value", "offset_value", "is_distinct", "lock", "lock_wait", "lock_of", "ctes")

    def __init__(self, columns, froms=(), where=None, group_by=(), having=None, order_by=(),
                 limit=None, offset=None, distinct=False, lock=LOCK_NONE, lock_wait=WAIT_DEFAULT,
                 lock_of=(), ctes=()):
        self.kind = K_SELECT
        self.prec = P_ATOM
        self.code = _code(K_SELECT << 16 | distinct | (where is not None) << 1 | (having is not None) << 2
                     | (limit is not None) << 3 | (offset is not None) << 4 | lock << 5 | lock_wait << 7
                     | (len(ctes) > 0) << 9)
        self.columns = columns
        self.froms = froms
        self.where_clause = where
        self.group_items = group_by
        self.having_clause = having
        self.order_items = order_by
        self.limit_value = limit
        self.offset_value = offset
        self.is_distinct = distinct
        self.lock = lock
        self.lock_wait = lock_wait
        self.lock_of = lock_of
        self.ctes = ctes


class InsertNode(Node):
    """``rows`` holds tuples of plain values when ``raw_rows``, else tuples of nodes."""

    __slots__ = ("table", "columns", "rows", "raw_rows", "select", "conflict", "conflict_target",
                 "set_names", "set_values", "conflict_where", "returning_items")

    def __init__(self, table, columns, rows=(), raw_rows=True, select=None, conflict=CONFLICT_NONE,
                 conflict_target=(), set_names=(), set_values=(), conflict_where=None, returning=()):
        self.kind = K_INSERT
        self.prec = P_ATOM
        self.code = _code(K_INSERT << 16 | raw_rows | (select is not None) << 1 | conflict << 2
                     | (conflict_where is not None) << 4)
        self.table = table
        self.columns = columns
        self.rows = rows
        self.raw_rows = raw_rows
        self.select = select
        self.conflict = conflict
        self.conflict_target = conflict_target
        self.set_names = set_names
        self.set_values = set_values
        self.conflict_where = conflict_where
        self.returning_items = returning


class UpdateNode(Node):
    __slots__ = ("table", "set_names", "set_values", "where_clause", "returning_items")

    def __init__(self, table, set_names, set_values, where=None, returning=()):
        self.kind = K_UPDATE
        self.prec = P_ATOM
        self.code = _code(K_UPDATE << 8 | (where is not None))
        self.table = table
        self.set_names = set_names
        self.set_values = set_values
        self.where_clause = where
        self.returning_items = returning


class DeleteNode(Node):
    __slots__ = ("table", "where_clause", "returning_items")

    def __init__(self, table, where=None, returning=()):
        self.kind = K_DELETE
        self.prec = P_ATOM
        self.code = _code(K_DELETE << 8 | (where is not None))
        self.table = table
        self.where_clause = where
        self.returning_items = returning
