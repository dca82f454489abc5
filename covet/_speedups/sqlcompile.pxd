# Cython declarations augmenting sqlcompile.py (pure-Python mode): the .py stays the one source.

cimport cython

from covet._speedups.sqlnodes cimport *
from covet._speedups.sqlnodes cimport _code

cdef tuple _BINARY_SQL
cdef tuple _JOIN_SQL
cdef tuple _JOIN_FEATURE
cdef Py_ssize_t _NAMES_LIMIT
cdef tuple _SET_SQL
cdef tuple _FRAME_SQL


@cython.final
@cython.freelist(16)
cdef class CompiledQuery:
    cdef readonly str sql
    cdef readonly tuple params


@cython.locals(query=CompiledQuery)
cdef CompiledQuery _compiled(str sql, tuple params)
cdef str _frame_bound(object offset, bint start)


@cython.final
cdef class _Entry:
    cdef readonly str sql
    cdef readonly Py_ssize_t used


cdef class Compiler:
    cdef readonly object dialect
    cdef str placeholder
    cdef bint numbered
    cdef str quote
    cdef bint escape_percent
    cdef Py_ssize_t max_identifier
    cdef bint identifier_bytes
    cdef bint insert_returning
    cdef bint update_returning
    cdef bint delete_returning
    cdef tuple join_ok
    cdef bint ilike
    cdef bint filter_clause
    cdef bint nulls_ordering
    cdef bint window_functions
    cdef bint on_conflict
    cdef int excluded_style
    cdef bint upsert_where
    cdef bint for_update
    cdef bint for_update_of
    cdef bint nowait
    cdef bint skip_locked
    cdef str for_share_sql
    cdef bint concat_operator
    cdef bint in_array
    cdef str true_sql
    cdef str false_sql
    cdef object limit_all
    cdef str default_values
    cdef bint ctes
    cdef bint intersect_except
    cdef bint set_op_all
    cdef bint compound_parens
    cdef dict cache
    cdef readonly Py_ssize_t cache_size
    cdef Py_ssize_t clock
    cdef readonly Py_ssize_t hits
    cdef readonly Py_ssize_t misses
    cdef dict names
    cdef dict columns
    cdef dict tables

    @cython.locals(walk=_Walk, entry=_Entry, key=tuple, sql=str)
    cpdef CompiledQuery compile(self, Node node)
    @cython.locals(cache=dict, entry=_Entry, oldest=list)
    cdef _store(self, tuple key, str sql)
    @cython.locals(sql=str, size=Py_ssize_t, quote=str)
    cpdef str ident(self, str name)
    @cython.locals(sql=str, table=FromNode)
    cdef str column_sql(self, ColumnNode column)
    @cython.locals(sql=str)
    cdef str table_sql(self, TableNode table)


@cython.locals(walk=_Walk)
cdef _Walk _new_walk(Compiler compiler, bint render)


# PERF: one _Walk and one CompiledQuery per compile: a freelist makes their allocation cheap, and
# a _Walk holds only lists and the compiler (no cycles), so it need not be tracked by the GC.
@cython.final
@cython.no_gc
@cython.freelist(8)
cdef class _Walk:
    cdef Compiler c
    cdef list key
    cdef list params
    cdef list parts
    cdef bint render
    cdef Py_ssize_t count
    cdef int excluded

    @cython.locals(kind=int)
    cdef int visit(self, Node node) except -1
    cdef int emit(self, str sql) except -1
    cdef int bind(self, object value) except -1
    cdef int sub(self, Node node, bint paren) except -1
    @cython.locals(first=bint, item=Node)
    cdef int items(self, tuple nodes, str separator) except -1
    @cython.locals(first=bint)
    cdef int names(self, tuple names) except -1
    cdef unsupported(self, str feature)

    cdef int visit_param(self, ParamNode node) except -1
    cdef int visit_column(self, ColumnNode node) except -1
    @cython.locals(operand=Node)
    cdef int visit_null_test(self, NullTestNode node) except -1
    cdef int visit_label(self, LabelNode node) except -1
    cdef int visit_cast(self, object node) except -1
    @cython.locals(operand=Node)
    cdef int visit_in_select(self, object node) except -1
    cdef int visit_scalar(self, object node) except -1
    cdef int visit_exists(self, object node) except -1
    @cython.locals(op=int, prec=int, left=Node, right=Node)
    cdef int visit_binary(self, BinaryNode node) except -1
    @cython.locals(prec=int, items=tuple, first=bint, item=Node)
    cdef int visit_bool(self, BoolNode node) except -1
    @cython.locals(operand=Node)
    cdef int visit_unary(self, UnaryNode node) except -1
    @cython.locals(const=int)
    cdef int visit_const(self, ConstNode node) except -1
    @cython.locals(values=tuple, operand=Node, n=Py_ssize_t, first=bint)
    cdef int visit_in_list(self, InListNode node) except -1
    cdef int visit_between(self, object node) except -1
    @cython.locals(operand=Node, pattern=Node)
    cdef int visit_like(self, LikeNode node) except -1
    @cython.locals(args=tuple, condition=Node, arg=Node)
    cdef int visit_func(self, FuncNode node) except -1
    @cython.locals(partition_by=tuple, order_by=tuple, mode=int, frame=str)
    cdef int visit_window(self, object node) except -1
    @cython.locals(whens=tuple, i=Py_ssize_t, n=Py_ssize_t)
    cdef int visit_case(self, object node) except -1
    @cython.locals(element=Node, nulls=int)
    cdef int visit_order(self, OrderNode node) except -1
    @cython.locals(name=str, style=int)
    cdef int visit_excluded(self, object node) except -1

    @cython.locals(label=LabelNode)
    cdef int select_item(self, Node node) except -1
    @cython.locals(first=bint, item=Node)
    cdef int select_items(self, tuple nodes) except -1
    @cython.locals(kind=int, join_type=int, join=JoinNode, right=Node, table=TableNode,
                   subquery=SubqueryNode)
    cdef int visit_from(self, Node node) except -1
    cdef int sub_from(self, Node node, bint paren) except -1
    @cython.locals(froms=tuple, first=bint, item=Node)
    cdef int visit_select(self, SelectNode node) except -1
    @cython.locals(c=Compiler, recursive=bint, first=bint, names=tuple)
    cdef int visit_with(self, tuple ctes) except -1
    @cython.locals(c=Compiler, selects=tuple, op=int, separator=str, first=bint, member=Node)
    cdef int visit_compound(self, object node) except -1
    cdef int order_and_page(self, tuple order_items, object limit, object offset) except -1
    @cython.locals(select=SelectNode, plain=bint)
    cdef int compound_member(self, Node member, bint first) except -1
    @cython.locals(lock_of=tuple, wait=int, c=Compiler, first=bint, table=TableNode)
    cdef int visit_lock(self, SelectNode node) except -1
    cdef int returning(self, tuple items, bint supported, str verb) except -1
    @cython.locals(n=Py_ssize_t, i=Py_ssize_t, name=str)
    cdef int assignments(self, tuple names, tuple values) except -1
    @cython.locals(columns=tuple, rows=tuple, select=SelectNode, conflict=int, c=Compiler)
    cdef int visit_insert(self, InsertNode node) except -1
    @cython.locals(first=bint, second=bint, row=tuple, row_sql=str)
    cdef int values_rows(self, tuple rows, bint raw, Py_ssize_t width) except -1
    @cython.locals(c=Compiler, target=tuple, quoted=str)
    cdef int visit_upsert(self, InsertNode node) except -1
    @cython.locals(c=Compiler)
    cdef int visit_update(self, UpdateNode node) except -1
    @cython.locals(c=Compiler)
    cdef int visit_delete(self, DeleteNode node) except -1
