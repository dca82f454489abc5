"""Compile query-builder trees to SQL text and bound parameters, per dialect, with a shape cache.

The nodes are in ``covet._speedups.sqlnodes`` (read here through their C structs) and, for the
rarer kinds, ``covet.db.query.nodes`` (read by attribute).

A ``Compiler`` belongs to one dialect. ``compile(node)`` walks the tree once with a ``_Walk``,
which visits one node kind per method and, in the same order, appends the node's shape to a key,
its values to the parameters and — when rendering — its SQL to a list of parts. Values only ever
become parameters; identifiers only ever pass through ``Compiler.ident``, which quotes them.

The cache: a first walk collects only the key and the parameters; when the dialect has compiled
that shape before, its SQL is reused as is. Otherwise a second walk renders it. The key records
everything that changes the SQL (node kinds, flags, identifiers, list lengths, whether a LIMIT is
there …) and nothing else, so statements that differ only in their values share one entry.
Identifiers are memoised per compiler, so rendering is mostly appending strings: compiled, a
render costs little more than the key walk, and the cache pays most for large statements and
for the interpreted form (see bench/sql_compile.py).

One source for both modes: ``sqlcompile.pxd`` types it for Cython; interpreted, it is plain Python.
"""

import cython

if not cython.compiled:
    # Interpreted, the names the .pxd cimports from sqlnodes when compiled.
    from covet._speedups.sqlnodes import *
    from covet._speedups.sqlnodes import _code

_BINARY_SQL = (" = ", " <> ", " < ", " <= ", " > ", " >= ", " + ", " - ", " * ", " / ", " % ", " || ")
_JOIN_SQL = (" JOIN ", " LEFT JOIN ", " RIGHT JOIN ", " FULL JOIN ", " CROSS JOIN ")
_JOIN_FEATURE = ("", "", "RIGHT JOIN", "FULL JOIN", "")
_NAMES_LIMIT = 8192  # identifiers memoised per compiler before the memo starts over
_SET_SQL = (" UNION ", " INTERSECT ", " EXCEPT ")
_FRAME_SQL = ("", " ROWS BETWEEN ", " RANGE BETWEEN ")


# -- the result ----------------------------------------------------------------------------------


class CompiledQuery:
    """SQL text in the dialect's placeholder style and its parameters, in order."""

    __slots__ = ("sql", "params")

    def __init__(self, sql, params):
        self.sql = sql
        self.params = params

    def __iter__(self):
        return iter((self.sql, self.params))

    def __repr__(self):
        return f"CompiledQuery({self.sql!r}, {self.params!r})"


def _compiled(sql, params):
    query = CompiledQuery.__new__(CompiledQuery)
    query.sql = sql
    query.params = params
    return query


def _frame_bound(offset, start):
    """A window frame bound: None is UNBOUNDED, 0 CURRENT ROW, -n n PRECEDING, n n FOLLOWING."""
    if offset is None:
        return "UNBOUNDED PRECEDING" if start else "UNBOUNDED FOLLOWING"
    if offset == 0:
        return "CURRENT ROW"
    return str(-offset) + " PRECEDING" if offset < 0 else str(offset) + " FOLLOWING"


# -- the compiler --------------------------------------------------------------------------------


class _Entry:
    __slots__ = ("sql", "used")


def _entry_age(item):
    return item[1].used


class Compiler:
    """Compiles nodes for one dialect; caches SQL by statement shape (``cache_size`` 0: no cache)."""

    __slots__ = ("dialect", "placeholder", "numbered", "quote", "escape_percent", "max_identifier",
                 "identifier_bytes", "insert_returning", "update_returning", "delete_returning",
                 "join_ok", "ilike", "filter_clause", "nulls_ordering", "window_functions",
                 "on_conflict", "excluded_style", "upsert_where", "for_update", "for_update_of",
                 "nowait", "skip_locked", "for_share_sql", "concat_operator", "in_array", "true_sql",
                 "false_sql", "limit_all", "default_values", "ctes", "intersect_except", "set_op_all",
                 "compound_parens", "cache", "cache_size", "clock", "hits", "misses", "names", "columns",
                 "tables")

    def __init__(self, dialect, cache_size=1024):
        self.dialect = dialect
        style = dialect.paramstyle
        if style not in ("format", "qmark", "numeric"):
            raise ValueError(f"unknown paramstyle {style!r}: expected 'format', 'qmark' or 'numeric'")
        self.placeholder = "%s" if style == "format" else "?"
        self.numbered = style == "numeric"
        self.escape_percent = style == "format"
        self.quote = dialect.identifier_quote
        self.max_identifier = dialect.max_identifier_length
        self.identifier_bytes = dialect.identifier_length_in_bytes
        self.insert_returning = dialect.insert_returning
        self.update_returning = dialect.update_returning
        self.delete_returning = dialect.delete_returning
        self.join_ok = (True, True, dialect.supports_right_join, dialect.supports_full_join, True)
        self.ilike = dialect.supports_ilike
        self.filter_clause = dialect.supports_filter_clause
        self.nulls_ordering = dialect.supports_nulls_ordering
        self.window_functions = dialect.supports_window_functions
        self.on_conflict = dialect.upsert_style == "on_conflict"
        self.excluded_style = ("excluded", "values_function", "row_alias").index(dialect.excluded_style)
        self.upsert_where = dialect.supports_upsert_where
        self.for_update = dialect.supports_for_update
        self.for_update_of = dialect.supports_for_update_of
        self.nowait = dialect.supports_nowait
        self.skip_locked = dialect.supports_skip_locked
        self.for_share_sql = " " + dialect.for_share_sql
        self.concat_operator = dialect.concat_operator
        self.in_array = dialect.in_list_as_array
        self.true_sql = dialect.true_sql
        self.false_sql = dialect.false_sql
        self.limit_all = dialect.limit_all_sql
        self.default_values = " " + dialect.default_values_sql
        self.ctes = dialect.supports_ctes
        self.intersect_except = dialect.supports_intersect_except
        self.set_op_all = dialect.supports_intersect_except_all
        self.compound_parens = dialect.supports_parenthesized_compound_members
        self.cache = {}
        self.cache_size = cache_size
        self.clock = 0
        self.hits = 0
        self.misses = 0
        self.names = {}
        self.columns = {}
        self.tables = {}

    def compile(self, node):
        """``CompiledQuery(sql, params)`` for ``node`` (a statement or any expression)."""
        if self.cache_size <= 0:
            walk = _new_walk(self, True)
            walk.visit(node)
            return _compiled("".join(walk.parts), tuple(walk.params))
        walk = _new_walk(self, False)
        walk.visit(node)
        key = tuple(walk.key)
        found = self.cache.get(key)
        if found is not None:
            entry = found
            entry.used = self.clock
            self.clock += 1
            self.hits += 1
            return _compiled(entry.sql, tuple(walk.params))
        self.misses += 1
        walk = _new_walk(self, True)
        walk.visit(node)
        sql = "".join(walk.parts)
        self._store(key, sql)
        return _compiled(sql, tuple(walk.params))

    def shape_key(self, node):
        """The cache key ``node`` compiles under (for tests and debugging)."""
        walk = _new_walk(self, False)
        walk.visit(node)
        return tuple(walk.key)

    def cache_info(self):
        size = len(self.cache)
        return {"hits": self.hits, "misses": self.misses, "size": size, "max_size": self.cache_size}

    def clear_cache(self):
        self.cache.clear()
        self.hits = self.misses = 0

    def _store(self, key, sql):
        cache = self.cache
        if len(cache) >= self.cache_size:
            # Evict the least recently used quarter at once: hits stay a single dict lookup.
            oldest = sorted(cache.items(), key=_entry_age)
            for item in oldest[: max(1, len(oldest) // 4)]:
                cache.pop(item[0], None)
        entry = _Entry()
        entry.sql = sql
        entry.used = self.clock
        self.clock += 1
        cache[key] = entry

    def ident(self, name):
        """``name`` quoted for this dialect (memoised), after the length and NUL checks."""
        sql = self.names.get(name)
        if sql is None:
            if "\0" in name:
                raise self.dialect.identifier_has_nul(name)
            if self.max_identifier > 0:
                size = len(name.encode("utf-8")) if self.identifier_bytes else len(name)
                if size > self.max_identifier:
                    raise self.dialect.identifier_too_long(name)
            quote = self.quote
            sql = quote + name.replace(quote, quote + quote) + quote
            if self.escape_percent:
                sql = sql.replace("%", "%%")
            if len(self.names) >= _NAMES_LIMIT:
                self.names.clear()
            self.names[name] = sql
        return sql

    def column_sql(self, column):
        sql = self.columns.get(column.token)
        if sql is None:
            table = column.table
            sql = self.ident(column.name)
            if table is not None:
                sql = self.ident(table.ref) + "." + sql
                if table.ref_schema is not None:
                    sql = self.ident(table.ref_schema) + "." + sql
            if len(self.columns) >= _NAMES_LIMIT:
                self.columns.clear()
            self.columns[column.token] = sql
        return sql

    def table_sql(self, table):
        sql = self.tables.get(table.token)
        if sql is None:
            sql = self.ident(table.name)
            if table.schema is not None:
                sql = self.ident(table.schema) + "." + sql
            if table.alias_name is not None:
                sql = sql + " AS " + self.ident(table.alias_name)
            if len(self.tables) >= _NAMES_LIMIT:
                self.tables.clear()
            self.tables[table.token] = sql
        return sql


def _new_walk(compiler, render):
    walk = _Walk.__new__(_Walk)
    walk.c = compiler
    walk.key = []
    walk.params = []
    walk.parts = [] if render else None
    walk.render = render
    walk.count = 0
    walk.excluded = compiler.excluded_style
    return walk


class _Walk:
    """One pass over a tree: its shape key, its parameters and, when ``render``, its SQL parts.

    Every method visits children in the order their SQL is written, so parameters line up with
    placeholders, and appends the same key whether or not it renders.
    """

    __slots__ = ("c", "key", "params", "parts", "render", "count", "excluded")

    def visit(self, node):
        # PERF: only a class's own __init__ sets its (read-only) kind, so the kind names the class
        # and, compiled, the cast can skip a subtype check per node. Interpreted, nodes pass as is.
        # The rarer kinds are Python classes (covet.db.query.nodes), read by attribute.
        kind = node.kind
        if kind == K_COLUMN:
            self.visit_column(cython.cast(ColumnNode, node) if cython.compiled else node)
        elif kind == K_PARAM:
            self.visit_param(cython.cast(ParamNode, node) if cython.compiled else node)
        elif kind == K_BINARY:
            self.visit_binary(cython.cast(BinaryNode, node) if cython.compiled else node)
        elif kind == K_BOOL:
            self.visit_bool(cython.cast(BoolNode, node) if cython.compiled else node)
        elif kind == K_FUNC:
            self.visit_func(cython.cast(FuncNode, node) if cython.compiled else node)
        elif kind == K_CONST:
            self.visit_const(cython.cast(ConstNode, node) if cython.compiled else node)
        elif kind == K_NULL_TEST:
            self.visit_null_test(cython.cast(NullTestNode, node) if cython.compiled else node)
        elif kind == K_IN_LIST:
            self.visit_in_list(cython.cast(InListNode, node) if cython.compiled else node)
        elif kind == K_LIKE:
            self.visit_like(cython.cast(LikeNode, node) if cython.compiled else node)
        elif kind == K_UNARY:
            self.visit_unary(cython.cast(UnaryNode, node) if cython.compiled else node)
        elif kind == K_BETWEEN:
            self.visit_between(node)
        elif kind == K_LABEL:
            self.visit_label(cython.cast(LabelNode, node) if cython.compiled else node)
        elif kind == K_ORDER:
            self.visit_order(cython.cast(OrderNode, node) if cython.compiled else node)
        elif kind == K_SELECT:
            self.visit_select(cython.cast(SelectNode, node) if cython.compiled else node)
        elif kind == K_IN_SELECT:
            self.visit_in_select(node)
        elif kind == K_SCALAR:
            self.visit_scalar(node)
        elif kind == K_EXISTS:
            self.visit_exists(node)
        elif kind == K_CASE:
            self.visit_case(node)
        elif kind == K_CAST:
            self.visit_cast(node)
        elif kind == K_WINDOW:
            self.visit_window(node)
        elif kind == K_EXCLUDED:
            self.visit_excluded(node)
        elif kind == K_INSERT:
            self.visit_insert(cython.cast(InsertNode, node) if cython.compiled else node)
        elif kind == K_UPDATE:
            self.visit_update(cython.cast(UpdateNode, node) if cython.compiled else node)
        elif kind == K_DELETE:
            self.visit_delete(cython.cast(DeleteNode, node) if cython.compiled else node)
        elif kind == K_COMPOUND:
            self.visit_compound(node)
        elif kind in (K_TABLE, K_SUBQUERY, K_JOIN, K_CTE):
            self.visit_from(node)
        else:
            raise TypeError(f"cannot compile {node!r}: not a query node")
        return 0

    # -- small pieces ----------------------------------------------------------------------------

    def emit(self, sql):
        if self.render:
            self.parts.append(sql)
        return 0

    def bind(self, value):
        self.params.append(value)
        if self.render:
            if self.c.numbered:
                self.count += 1
                self.parts.append("$" + str(self.count))
            else:
                self.parts.append(self.c.placeholder)
        return 0

    def sub(self, node, paren):
        if paren:
            self.emit("(")
            self.visit(node)
            self.emit(")")
        else:
            self.visit(node)
        return 0

    def items(self, nodes, separator):
        self.key.append(len(nodes))
        first = True
        for item in nodes:
            if not first and self.render:
                self.parts.append(separator)
            first = False
            self.visit(item)
        return 0

    def names(self, names):
        self.key.append(len(names))
        first = True
        for name in names:
            self.key.append(name)
            if self.render:
                if not first:
                    self.parts.append(", ")
                self.parts.append(self.c.ident(name))
            first = False
        return 0

    def unsupported(self, feature):
        return self.c.dialect.unsupported(feature)

    # -- expressions -----------------------------------------------------------------------------

    def visit_param(self, node):
        self.key.append(node.code)
        self.bind(node.value)
        return 0

    def visit_column(self, node):
        self.key.append(node.token)
        if self.render:
            self.parts.append(self.c.column_sql(node))
        return 0

    def visit_null_test(self, node):
        operand = node.operand
        self.key.append(node.code)
        self.sub(operand, operand.prec <= P_CMP)
        self.emit(" IS NOT NULL" if node.negate else " IS NULL")
        return 0

    def visit_label(self, node):
        self.key.append(node.code)
        self.key.append(node.name)
        if self.render:
            self.parts.append(self.c.ident(node.name))
        return 0

    def visit_cast(self, node):
        self.key.append(node.code)
        self.key.append(node.type_name)
        self.emit("CAST(")
        self.visit(node.operand)
        if self.render:
            self.parts.append(" AS ")
            self.parts.append(node.type_name)
            self.parts.append(")")
        return 0

    def visit_in_select(self, node):
        operand = node.operand
        self.key.append(node.code)
        self.sub(operand, operand.prec <= P_CMP)
        self.emit(" NOT IN (" if node.negate else " IN (")
        self.visit(node.select)
        self.emit(")")
        return 0

    def visit_scalar(self, node):
        self.key.append(node.code)
        self.emit("(")
        self.visit(node.select)
        self.emit(")")
        return 0

    def visit_exists(self, node):
        self.key.append(node.code)
        self.emit("EXISTS (")
        self.visit(node.select)
        self.emit(")")
        return 0

    def visit_binary(self, node):
        op = node.op
        prec = node.prec
        self.key.append(node.code)
        left = node.left
        right = node.right
        if op == OP_CONCAT and not self.c.concat_operator:
            self.emit("CONCAT(")
            self.visit(left)
            self.emit(", ")
            self.visit(right)
            self.emit(")")
            return 0
        # Comparisons do not chain: (a = b) = c keeps its parentheses on either side.
        self.sub(left, left.prec < prec or (left.prec == prec and prec == P_CMP))
        if self.render:
            if op == OP_MOD and self.c.escape_percent:
                self.parts.append(" %% ")
            else:
                self.parts.append(_BINARY_SQL[op])
        self.sub(right, right.prec <= prec)
        return 0

    def visit_bool(self, node):
        prec = node.prec
        items = node.items
        self.key.append(node.code)
        self.key.append(len(items))
        if len(items) == 0:
            # and_() is true, or_() is false: the identities of the two operators.
            if self.render:
                self.parts.append(self.c.true_sql if node.op == OP_AND else self.c.false_sql)
            return 0
        separator = " AND " if node.op == OP_AND else " OR "
        first = True
        for item in items:
            if not first and self.render:
                self.parts.append(separator)
            first = False
            self.sub(item, item.prec < prec)
        return 0

    def visit_unary(self, node):
        operand = node.operand
        self.key.append(node.code)
        self.emit("NOT " if node.op == OP_NOT else "-")
        self.sub(operand, operand.prec < P_ATOM)
        return 0

    def visit_const(self, node):
        self.key.append(node.code)
        if self.render:
            const = node.const
            if const == C_NULL:
                self.parts.append("NULL")
            elif const == C_TRUE:
                self.parts.append(self.c.true_sql)
            elif const == C_FALSE:
                self.parts.append(self.c.false_sql)
            else:
                self.parts.append("*")
        return 0

    def visit_in_list(self, node):
        values = node.values
        operand = node.operand
        n = len(values)
        self.key.append(node.code)
        if self.c.in_array and node.array_type is not None:
            # One array parameter whatever the length: one SQL text, one cache entry. The cast
            # keeps the driver from picking the array type from the values (int2[] for small ints).
            self.key.append(node.array_type)
            self.sub(operand, operand.prec <= P_CMP)
            self.emit(" <> ALL(" if node.negate else " = ANY(")
            self.bind(list(values))
            if self.render:
                self.parts.append("::")
                self.parts.append(node.array_type)
                self.parts.append("[])")
            return 0
        self.key.append(n)
        if n == 0:
            # Nothing is IN an empty list, not even NULL; everything is NOT IN it.
            if self.render:
                self.parts.append("1 = 1" if node.negate else "1 = 0")
            return 0
        self.sub(operand, operand.prec <= P_CMP)
        self.emit(" NOT IN (" if node.negate else " IN (")
        first = True
        for value in values:
            if not first and self.render:
                self.parts.append(", ")
            first = False
            self.bind(value)
        self.emit(")")
        return 0

    def visit_between(self, node):
        self.key.append(node.code)
        self.sub(node.operand, node.operand.prec <= P_CMP)
        self.emit(" NOT BETWEEN " if node.negate else " BETWEEN ")
        self.sub(node.low, node.low.prec <= P_CMP)
        self.emit(" AND ")
        self.sub(node.high, node.high.prec <= P_CMP)
        return 0

    def visit_like(self, node):
        operand = node.operand
        pattern = node.pattern
        self.key.append(node.code)
        if node.case_insensitive and not self.c.ilike:
            self.emit("LOWER(")
            self.visit(operand)
            self.emit(") NOT LIKE LOWER(" if node.negate else ") LIKE LOWER(")
            self.visit(pattern)
            self.emit(")")
        else:
            self.sub(operand, operand.prec <= P_CMP)
            if self.render:
                if node.case_insensitive:
                    self.parts.append(" NOT ILIKE " if node.negate else " ILIKE ")
                else:
                    self.parts.append(" NOT LIKE " if node.negate else " LIKE ")
            self.sub(pattern, pattern.prec <= P_CMP)
        if node.escape is not None:
            self.emit(" ESCAPE ")
            self.visit(node.escape)
        return 0

    def visit_func(self, node):
        args = node.args
        condition = node.filter_clause
        self.key.append(node.code)
        self.key.append(node.name)
        self.key.append(len(args))
        if self.render:
            self.parts.append(node.name)
            self.parts.append("(DISTINCT " if node.distinct else "(")
        if condition is not None and not self.c.filter_clause:
            # agg(x) FILTER (WHERE c) is agg(CASE WHEN c THEN x END): aggregates skip NULLs.
            if len(args) != 1:
                raise self.unsupported(f"FILTER on {node.name}() with {len(args)} arguments")
            self.emit("CASE WHEN ")
            self.visit(condition)
            self.emit(" THEN ")
            arg = args[0]
            if arg.kind == K_CONST and arg.code == _code(K_CONST << 8 | C_STAR):
                self.key.append(arg.code)
                self.emit("1")
            else:
                self.visit(arg)
            self.emit(" END)")
            return 0
        self.items(args, ", ")
        self.emit(")")
        if condition is not None:
            self.emit(" FILTER (WHERE ")
            self.visit(condition)
            self.emit(")")
        return 0

    def visit_window(self, node):
        if self.render and not self.c.window_functions:
            raise self.unsupported("window functions")
        self.key.append(node.code)
        self.visit(node.func)
        self.emit(" OVER (")
        partition_by = node.partition_by
        order_by = node.order_by
        if len(partition_by):
            self.emit("PARTITION BY ")
        self.items(partition_by, ", ")
        if len(order_by):
            self.emit(" ORDER BY " if len(partition_by) else "ORDER BY ")
        self.items(order_by, ", ")
        mode = node.frame_mode
        if mode != FRAME_NONE:
            self.key.append(node.frame_start)
            self.key.append(node.frame_end)
            if self.render:
                frame = _FRAME_SQL[mode]
                self.parts.append(frame if len(partition_by) or len(order_by) else frame[1:])
                self.parts.append(_frame_bound(node.frame_start, True))
                self.parts.append(" AND ")
                self.parts.append(_frame_bound(node.frame_end, False))
        self.emit(")")
        return 0

    def visit_case(self, node):
        whens = node.whens
        self.key.append(node.code)
        self.key.append(len(whens))
        self.emit("CASE")
        i = 0
        n = len(whens)
        while i < n:
            self.emit(" WHEN ")
            self.visit(whens[i])
            self.emit(" THEN ")
            self.visit(whens[i + 1])
            i += 2
        if node.else_ is not None:
            self.emit(" ELSE ")
            self.visit(node.else_)
        self.emit(" END")
        return 0

    def visit_order(self, node):
        element = node.element
        nulls = node.nulls
        self.key.append(node.code)
        if nulls != NULLS_DEFAULT and not self.c.nulls_ordering:
            # NULLS FIRST is "x IS NULL" descending (true sorts after false), then x.
            self.sub(element, element.prec <= P_CMP)
            self.emit(" IS NULL DESC, " if nulls == NULLS_FIRST else " IS NULL, ")
        self.visit(element)
        if self.render:
            if node.desc:
                self.parts.append(" DESC")
            if nulls != NULLS_DEFAULT and self.c.nulls_ordering:
                self.parts.append(" NULLS FIRST" if nulls == NULLS_FIRST else " NULLS LAST")
        return 0

    def visit_excluded(self, node):
        self.key.append(node.code)
        self.key.append(node.name)
        if self.render:
            name = self.c.ident(node.name)
            style = self.excluded
            if style == 0:
                self.parts.append("EXCLUDED." + name)
            elif style == 1:
                self.parts.append("VALUES(" + name + ")")
            else:
                self.parts.append("excluded." + name)
        return 0

    # -- statements ------------------------------------------------------------------------------

    def select_item(self, node):
        if node.kind != K_LABEL:
            return self.visit(node)
        label = cython.cast(LabelNode, node) if cython.compiled else node
        self.key.append(label.code)
        self.key.append(label.name)
        self.visit(label.element)
        if self.render:
            self.parts.append(" AS ")
            self.parts.append(self.c.ident(label.name))
        return 0

    def select_items(self, nodes):
        self.key.append(len(nodes))
        first = True
        for item in nodes:
            if not first and self.render:
                self.parts.append(", ")
            first = False
            self.select_item(item)
        return 0

    def visit_from(self, node):
        kind = node.kind
        if kind == K_TABLE:
            table = cython.cast(TableNode, node) if cython.compiled else node
            self.key.append(table.token)
            if self.render:
                self.parts.append(self.c.table_sql(table))
        elif kind == K_JOIN:
            join = cython.cast(JoinNode, node) if cython.compiled else node
            join_type = join.join_type
            self.key.append(join.code)
            if self.render and not self.c.join_ok[join_type]:
                raise self.unsupported(_JOIN_FEATURE[join_type])
            self.visit_from(join.left)
            self.emit(_JOIN_SQL[join_type])
            right = join.right
            self.sub_from(right, right.kind == K_JOIN)
            if join.on is not None:
                self.emit(" ON ")
                self.visit(join.on)
        elif kind == K_SUBQUERY:
            subquery = cython.cast(SubqueryNode, node) if cython.compiled else node
            self.key.append(subquery.code)
            self.key.append(subquery.name)
            self.emit("(")
            self.visit(subquery.select)
            if self.render:
                self.parts.append(") AS ")
                self.parts.append(self.c.ident(subquery.name))
        elif kind == K_CTE:
            self.key.append(node.code)
            self.key.append(node.name)
            if self.render:
                self.parts.append(self.c.ident(node.name))
        else:
            raise TypeError(f"{node!r} cannot be used in FROM: expected a table, a join or a subquery")
        return 0

    def sub_from(self, node, paren):
        self.emit("(" if paren else "")
        self.visit_from(node)
        self.emit(")" if paren else "")
        return 0

    def visit_select(self, node):
        froms = node.froms
        self.key.append(node.code)
        if len(node.ctes):
            self.visit_with(node.ctes)
        self.emit("SELECT DISTINCT " if node.is_distinct else "SELECT ")
        self.select_items(node.columns)
        self.key.append(len(froms))
        if len(froms):
            self.emit(" FROM ")
            first = True
            for item in froms:
                if not first and self.render:
                    self.parts.append(", ")
                first = False
                self.visit_from(item)
        if node.where_clause is not None:
            self.emit(" WHERE ")
            self.visit(node.where_clause)
        if len(node.group_items):
            self.emit(" GROUP BY ")
        self.items(node.group_items, ", ")
        if node.having_clause is not None:
            self.emit(" HAVING ")
            self.visit(node.having_clause)
        self.order_and_page(node.order_items, node.limit_value, node.offset_value)
        if node.lock != LOCK_NONE:
            self.visit_lock(node)
        return 0

    def visit_with(self, ctes):
        c = self.c
        self.key.append(len(ctes))
        if self.render:
            if not c.ctes:
                raise self.unsupported("WITH (common table expressions)")
            recursive = False
            for cte in ctes:
                recursive = recursive or cte.recursive
            self.parts.append("WITH RECURSIVE " if recursive else "WITH ")
        first = True
        for cte in ctes:
            self.key.append(cte.code)
            self.key.append(cte.name)
            if self.render:
                if not first:
                    self.parts.append(", ")
                self.parts.append(c.ident(cte.name))
            first = False
            names = cte.column_names
            if len(names):
                self.emit(" (")
                self.names(names)
                self.emit(")")
            else:
                self.key.append(0)
            self.emit(" AS (")
            self.visit(cte.select)
            self.emit(")")
        self.emit(" ")
        return 0

    def visit_compound(self, node):
        c = self.c
        selects = node.selects
        op = node.op
        self.key.append(node.code)
        self.key.append(len(selects))
        if len(node.ctes):
            self.visit_with(node.ctes)
        if self.render:
            if op != SET_UNION and not c.intersect_except:
                raise self.unsupported("INTERSECT and EXCEPT")
            if node.is_all and op != SET_UNION and not c.set_op_all:
                raise self.unsupported("INTERSECT ALL and EXCEPT ALL")
        separator = _SET_SQL[op] + "ALL " if node.is_all else _SET_SQL[op]
        first = True
        for member in selects:
            if not first:
                self.emit(separator)
            self.compound_member(member, first)
            first = False
        self.order_and_page(node.order_items, node.limit_value, node.offset_value)
        return 0

    def order_and_page(self, order_items, limit, offset):
        """ORDER BY, LIMIT and OFFSET of a select or a compound (the counts are parameters)."""
        if len(order_items):
            self.emit(" ORDER BY ")
        self.items(order_items, ", ")
        if limit is not None:
            self.emit(" LIMIT ")
            self.bind(limit)
        if offset is not None:
            if limit is None and self.c.limit_all is not None:
                self.emit(" LIMIT " + self.c.limit_all)
            self.emit(" OFFSET ")
            self.bind(offset)
        return 0

    def compound_member(self, member, first):
        """A member of UNION/INTERSECT/EXCEPT: bare when it can be, else in parentheses.

        A member with its own ORDER BY, LIMIT, OFFSET, row lock or WITH, or a nested compound,
        needs parentheses. SQLite has none: there a nested compound may only come first, where
        its left-to-right evaluation needs none."""
        if member.kind == K_SELECT:
            select = cython.cast(SelectNode, member) if cython.compiled else member
            plain = (len(select.order_items) == 0 and select.limit_value is None
                     and select.offset_value is None and select.lock == LOCK_NONE and len(select.ctes) == 0)
        elif member.kind == K_COMPOUND:
            plain = (first and not self.c.compound_parens and len(member.order_items) == 0
                     and member.limit_value is None and member.offset_value is None and len(member.ctes) == 0)
        else:
            raise TypeError(f"a compound select combines selects, not {member!r}")
        if plain:
            return self.visit(member)
        if self.render and not self.c.compound_parens:
            raise self.unsupported("a parenthesized member of UNION/INTERSECT/EXCEPT")
        self.emit("(")
        self.visit(member)
        self.emit(")")
        return 0

    def visit_lock(self, node):
        lock_of = node.lock_of
        wait = node.lock_wait
        self.key.append(len(lock_of))
        for table in lock_of:
            self.key.append(table.token)
        if not self.render:
            return 0
        c = self.c
        if not c.for_update:
            raise self.unsupported("FOR UPDATE" if node.lock == LOCK_UPDATE else "FOR SHARE")
        self.parts.append(" FOR UPDATE" if node.lock == LOCK_UPDATE else c.for_share_sql)
        if len(lock_of):
            if not c.for_update_of:
                raise self.unsupported("FOR UPDATE OF")
            self.parts.append(" OF ")
            first = True
            for table in lock_of:
                if not first:
                    self.parts.append(", ")
                first = False
                self.parts.append(c.ident(table.ref))
        if wait == WAIT_NOWAIT:
            if not c.nowait:
                raise self.unsupported("NOWAIT")
            self.parts.append(" NOWAIT")
        elif wait == WAIT_SKIP_LOCKED:
            if not c.skip_locked:
                raise self.unsupported("SKIP LOCKED")
            self.parts.append(" SKIP LOCKED")
        return 0

    def returning(self, items, supported, verb):
        if len(items) == 0:
            self.key.append(0)
            return 0
        if self.render:
            if not supported:
                raise self.unsupported(verb + " ... RETURNING")
            self.parts.append(" RETURNING ")
        self.select_items(items)
        return 0

    def assignments(self, names, values):
        self.key.append(len(names))
        n = len(names)
        i = 0
        while i < n:
            name = names[i]
            self.key.append(name)
            if self.render:
                if i:
                    self.parts.append(", ")
                self.parts.append(self.c.ident(name))
                self.parts.append(" = ")
            self.visit(values[i])
            i += 1
        return 0

    def visit_insert(self, node):
        columns = node.columns
        rows = node.rows
        select = node.select
        conflict = node.conflict
        c = self.c
        self.key.append(node.code)
        self.key.append(node.table.token)
        if self.render:
            self.parts.append("INSERT INTO ")
            self.parts.append(c.table_sql(node.table))
        if len(columns):
            self.emit(" (")
            self.names(columns)
            self.emit(")")
        else:
            self.key.append(0)
        self.excluded = c.excluded_style
        if select is not None:
            self.emit(" ")
            self.visit_select(select)
            if self.excluded == 2:
                self.excluded = 1  # a row alias cannot follow INSERT ... SELECT
        elif len(rows) and len(columns):
            self.emit(" VALUES ")
            self.values_rows(rows, node.raw_rows, len(columns))
        else:
            self.key.append(-1)
            self.emit(c.default_values)
        if conflict != CONFLICT_NONE:
            self.visit_upsert(node)
        self.returning(node.returning_items, c.insert_returning, "INSERT")
        return 0

    def values_rows(self, rows, raw, width):
        self.key.append(len(rows))
        if raw and self.render and not self.c.numbered:
            # All plain values: one row template, repeated; the parameters are the rows, flattened.
            row_sql = "(" + ", ".join([self.c.placeholder] * width) + ")"
            self.parts.append(", ".join([row_sql] * len(rows)))
            for row in rows:
                self.params.extend(row)
            return 0
        if raw and not self.render:
            for row in rows:
                self.params.extend(row)
            return 0
        first = True
        for row in rows:
            self.emit("(" if first else ", (")
            first = False
            if raw:
                second = False
                for value in row:
                    if second:
                        self.emit(", ")
                    second = True
                    self.bind(value)
            else:
                second = False
                for value in row:
                    if second:
                        self.emit(", ")
                    second = True
                    self.visit(value)
            self.emit(")")
        return 0

    def visit_upsert(self, node):
        c = self.c
        target = node.conflict_target
        if c.on_conflict:
            self.emit(" ON CONFLICT")
            if len(target):
                self.emit(" (")
                self.names(target)
                self.emit(")")
            else:
                self.key.append(0)
            if node.conflict == CONFLICT_NOTHING:
                self.emit(" DO NOTHING")
                return 0
            self.emit(" DO UPDATE SET ")
            self.assignments(node.set_names, node.set_values)
            if node.conflict_where is not None:
                if self.render and not c.upsert_where:
                    raise self.unsupported("ON CONFLICT ... DO UPDATE ... WHERE")
                self.emit(" WHERE ")
                self.visit(node.conflict_where)
            return 0
        # MySQL: any unique key conflicts; the target only picks the column of the no-op update.
        self.key.append(len(target))
        for name in target:
            self.key.append(name)
        if self.excluded == 2:
            self.emit(" AS excluded")
        self.emit(" ON DUPLICATE KEY UPDATE ")
        if node.conflict == CONFLICT_NOTHING:
            name = target[0] if len(target) else (node.columns[0] if len(node.columns) else None)
            if name is None:
                raise self.unsupported("ON DUPLICATE KEY UPDATE without a column")
            if self.render:
                quoted = c.ident(name)
                self.parts.append(quoted + " = " + quoted)
            return 0
        self.assignments(node.set_names, node.set_values)
        if node.conflict_where is not None and self.render:
            raise self.unsupported("ON CONFLICT ... DO UPDATE ... WHERE")
        return 0

    def visit_update(self, node):
        c = self.c
        self.key.append(node.code)
        self.key.append(node.table.token)
        if self.render:
            if len(node.set_names) == 0:
                raise ValueError(f"UPDATE {node.table.name!r} sets no columns: add .values(...)")
            self.parts.append("UPDATE ")
            self.parts.append(c.table_sql(node.table))
            self.parts.append(" SET ")
        self.assignments(node.set_names, node.set_values)
        if node.where_clause is not None:
            self.emit(" WHERE ")
            self.visit(node.where_clause)
        self.returning(node.returning_items, c.update_returning, "UPDATE")
        return 0

    def visit_delete(self, node):
        c = self.c
        self.key.append(node.code)
        self.key.append(node.table.token)
        if self.render:
            self.parts.append("DELETE FROM ")
            self.parts.append(c.table_sql(node.table))
        if node.where_clause is not None:
            self.emit(" WHERE ")
            self.visit(node.where_clause)
        self.returning(node.returning_items, c.delete_returning, "DELETE")
        return 0
