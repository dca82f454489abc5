# Cython declarations augmenting sqlnodes.py (pure-Python mode): the .py stays the one source.

cimport cython

cpdef enum:
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

cpdef enum:
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

cpdef enum:
    OP_AND = 0
    OP_OR = 1

cpdef enum:
    OP_NOT = 0
    OP_NEG = 1

cpdef enum:
    C_NULL = 0
    C_TRUE = 1
    C_FALSE = 2
    C_STAR = 3

cpdef enum:
    JOIN_INNER = 0
    JOIN_LEFT = 1
    JOIN_RIGHT = 2
    JOIN_FULL = 3
    JOIN_CROSS = 4

cpdef enum:
    LOCK_NONE = 0
    LOCK_UPDATE = 1
    LOCK_SHARE = 2

cpdef enum:
    WAIT_DEFAULT = 0
    WAIT_NOWAIT = 1
    WAIT_SKIP_LOCKED = 2

cpdef enum:
    NULLS_DEFAULT = 0
    NULLS_FIRST = 1
    NULLS_LAST = 2

cpdef enum:
    CONFLICT_NONE = 0
    CONFLICT_NOTHING = 1
    CONFLICT_UPDATE = 2

cpdef enum:
    SET_UNION = 0
    SET_INTERSECT = 1
    SET_EXCEPT = 2

cpdef enum:
    FRAME_NONE = 0
    FRAME_ROWS = 1
    FRAME_RANGE = 2

cpdef enum:
    P_OR = 1
    P_AND = 2
    P_NOT = 3
    P_CMP = 4
    P_CONCAT = 5
    P_ADD = 6
    P_MUL = 7
    P_NEG = 8
    P_ATOM = 100

cdef tuple _BINARY_PREC
cdef frozenset _PYTHON_KINDS

cdef dict _CODES
cpdef object _code(long value)


cdef class Node:
    cdef readonly int kind
    cdef readonly int prec
    cdef readonly object code


cpdef init_node(Node node, int kind, int prec, long flags)
cpdef init_from(FromNode node, str ref)


cdef class FromNode(Node):
    cdef readonly str ref
    cdef readonly object ref_schema


cdef class TableNode(FromNode):
    cdef readonly str name
    cdef readonly object schema
    cdef readonly object alias_name
    cdef readonly str token


cdef class SubqueryNode(FromNode):
    cdef readonly Node select
    cdef readonly str name


cdef class JoinNode(Node):
    cdef readonly Node left
    cdef readonly Node right
    cdef readonly Node on
    cdef readonly int join_type


cdef class ColumnNode(Node):
    cdef readonly str name
    cdef readonly FromNode table
    cdef readonly object sql_type
    cdef readonly str token


cdef class ParamNode(Node):
    cdef readonly object value


cdef class ConstNode(Node):
    cdef readonly int const


cdef class BinaryNode(Node):
    cdef readonly int op
    cdef readonly Node left
    cdef readonly Node right


cdef class BoolNode(Node):
    cdef readonly int op
    cdef readonly tuple items


cdef class UnaryNode(Node):
    cdef readonly int op
    cdef readonly Node operand


cdef class NullTestNode(Node):
    cdef readonly Node operand
    cdef readonly bint negate


cdef class InListNode(Node):
    cdef readonly Node operand
    cdef readonly tuple values
    cdef readonly bint negate
    cdef readonly object array_type


cdef class LikeNode(Node):
    cdef readonly Node operand
    cdef readonly Node pattern
    cdef readonly Node escape
    cdef readonly bint negate
    cdef readonly bint case_insensitive


cdef class FuncNode(Node):
    cdef readonly str name
    cdef readonly tuple args
    cdef readonly bint distinct
    cdef readonly Node filter_clause


cdef class LabelNode(Node):
    cdef readonly Node element
    cdef readonly str name


cdef class OrderNode(Node):
    cdef readonly Node element
    cdef readonly bint desc
    cdef readonly int nulls


cdef class SelectNode(Node):
    cdef readonly tuple columns
    cdef readonly tuple froms
    cdef readonly Node where_clause
    cdef readonly tuple group_items
    cdef readonly Node having_clause
    cdef readonly tuple order_items
    cdef readonly object limit_value
    cdef readonly object offset_value
    cdef readonly bint is_distinct
    cdef readonly int lock
    cdef readonly int lock_wait
    cdef readonly tuple lock_of
    cdef readonly tuple ctes


cdef class InsertNode(Node):
    cdef readonly TableNode table
    cdef readonly tuple columns
    cdef readonly tuple rows
    cdef readonly bint raw_rows
    cdef readonly SelectNode select
    cdef readonly int conflict
    cdef readonly tuple conflict_target
    cdef readonly tuple set_names
    cdef readonly tuple set_values
    cdef readonly Node conflict_where
    cdef readonly tuple returning_items


cdef class UpdateNode(Node):
    cdef readonly TableNode table
    cdef readonly tuple set_names
    cdef readonly tuple set_values
    cdef readonly Node where_clause
    cdef readonly tuple returning_items


cdef class DeleteNode(Node):
    cdef readonly TableNode table
    cdef readonly Node where_clause
    cdef readonly tuple returning_items
