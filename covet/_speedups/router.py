"""Route lookup: a segment tree built once from the route table, then walked once per request.

Each node maps static segments to children in a dict and has at most one parameter child and
one catch-all (``{name:path}``) child. A path is tried static first, then the parameter, then
the catch-all; a branch that leads nowhere falls back to the next, so ``/users/me/posts`` still
reaches ``/users/{id}/posts`` when ``/users/me`` is also a route. Routes with no parameters are
also kept in one dict by their whole path, answered without walking the tree.

Paths arrive percent-decoded (the server decodes them), so ``%2F`` is a separator by then. An
empty segment (``//``) matches no parameter and no static segment: templates cannot contain one,
except a trailing slash, which is the static segment ``""`` at the end.

One source for both modes: ``router.pxd`` types it for Cython; interpreted, it is plain Python.
``covet.routing`` builds the table; this module knows nothing of endpoints or templates' syntax.
"""

import uuid

_KIND_CUSTOM = 0
_KIND_STR = 1
_KIND_INT = 2
_KIND_FLOAT = 3
_KIND_UUID = 4
_KIND_SLUG = 5
_KIND_PATH = 6
_BUILTIN_KINDS = {"str": 1, "int": 2, "float": 3, "uuid": 4, "slug": 5, "path": 6}
_NO_MATCH = object()
_GET = "GET"
_INF = float("inf")


class Match:
    """The route that answers the request, and the converted path parameters."""

    def __init__(self, route, params):
        self.route = route
        self.params = params

    def __iter__(self):
        return iter((self.route, self.params))

    def __repr__(self):
        return "Match(%r, %r)" % (self.route, self.params)


class MountMatch:
    """A mounted app takes the request: ``path`` is what is left after the mount's prefix."""

    def __init__(self, mount, params, path):
        self.mount = mount
        self.params = params
        self.path = path

    def __repr__(self):
        return "MountMatch(%r, %r, %r)" % (self.mount, self.params, self.path)


class MethodNotAllowed:
    """The path names a resource, but not for this method: answer 405 with ``allowed``."""

    def __init__(self, allowed):
        self.allowed = allowed

    def __repr__(self):
        return "MethodNotAllowed(%r)" % (sorted(self.allowed),)


class NotFound:
    """No route: answer 404, or redirect to ``redirect`` (the path with its trailing slash toggled)."""

    def __init__(self, redirect):
        self.redirect = redirect

    def __repr__(self):
        return "NotFound(redirect=%r)" % (self.redirect,)


_NOT_FOUND = NotFound(None)


class _Entry:
    """What a leaf holds for one method (or a node for its mount)."""

    def __init__(self, route, names, template, implicit):
        self.route = route
        self.names = names
        self.template = template
        self.implicit = implicit


class _Node:
    def __init__(self, kind, converter, origin):
        self.statics = {}
        self.param = None
        self.catchall = None
        self.kind = kind
        self.converter_name = converter.name if converter is not None else ""
        self.match = converter.match if converter is not None else None
        self.to_python = converter.to_python if converter is not None else None
        self.origin = origin
        self.methods = None
        self.get_entry = None  # methods["GET"], read without the dict for the commonest method
        self.not_allowed = None
        self.mount = None


# -- the built-in converters' checks (covet.routing uses these too, to validate url_for) ----------


def is_int_segment(segment):
    """One or more ASCII digits."""
    if not segment:
        return False
    for c in segment:  # noqa: SIM110 - Cython compiles this loop to C; all() would be a generator
        if c < "0" or c > "9":
            return False
    return True


def is_float_segment(segment):
    """ASCII digits, optionally a dot and more digits: no sign, exponent, ``inf`` or ``nan``."""
    n = len(segment)
    i = 0
    while i < n and "0" <= segment[i] <= "9":
        i += 1
    if i == 0:
        return False
    if i == n:
        return True
    if segment[i] != ".":
        return False
    i += 1
    first = i
    while i < n and "0" <= segment[i] <= "9":
        i += 1
    return i == n and i > first


def is_uuid_segment(segment):
    """The canonical 8-4-4-4-12 hex form, either case."""
    if len(segment) != 36:
        return False
    for i in range(36):
        c = segment[i]
        if i == 8 or i == 13 or i == 18 or i == 23:
            if c != "-":
                return False
        elif not ("0" <= c <= "9" or "a" <= c <= "f" or "A" <= c <= "F"):
            return False
    return True


def is_slug_segment(segment):
    """ASCII letters, digits, ``-`` and ``_``; at least one."""
    if not segment:
        return False
    for c in segment:  # noqa: SIM110 - as in is_int_segment
        if not ("a" <= c <= "z" or "A" <= c <= "Z" or "0" <= c <= "9" or c == "-" or c == "_"):
            return False
    return True


def _convert(node, segment):
    """The value of a non-empty ``segment`` under ``node``'s converter, or ``_NO_MATCH``."""
    kind = node.kind
    if kind == _KIND_STR:
        return segment
    if kind == _KIND_INT:
        if not is_int_segment(segment):
            return _NO_MATCH
        try:
            return int(segment)
        except ValueError:  # longer than sys.get_int_max_str_digits()
            return _NO_MATCH
    if kind == _KIND_SLUG:
        return segment if is_slug_segment(segment) else _NO_MATCH
    if kind == _KIND_UUID:
        return uuid.UUID(segment) if is_uuid_segment(segment) else _NO_MATCH
    if kind == _KIND_FLOAT:
        if not is_float_segment(segment):
            return _NO_MATCH
        number = float(segment)
        return number if number != _INF else _NO_MATCH
    if not node.match(segment):
        return _NO_MATCH
    try:
        return node.to_python(segment)
    except ValueError:
        return _NO_MATCH


# -- the walk ------------------------------------------------------------------------------------
# ``start`` is where the next segment begins; ``start > n`` means the path is used up.


def _search(node, path, start, n, method, values):
    """The entry for ``method`` at the first leaf ``path`` reaches that has one; ``values`` gets
    the converted parameters on the way (and only those, when it returns an entry)."""
    if start > n:
        if node.methods is not None:
            return node.methods.get(method)
        return None
    end = path.find("/", start)
    if end < 0:
        end = n
    segment = path[start:end]
    if node.statics:
        child = node.statics.get(segment)
        if child is not None:
            entry = _search(child, path, end + 1, n, method, values)
            if entry is not None:
                return entry
    child = node.param
    if child is not None and end > start:
        value = _convert(child, segment)
        if value is not _NO_MATCH:
            values.append(value)
            entry = _search(child, path, end + 1, n, method, values)
            if entry is not None:
                return entry
            del values[-1]
    child = node.catchall
    if child is not None and n > start:
        entry = child.methods.get(method)
        if entry is not None:
            values.append(path[start:])
            return entry
    return None


def _collect(node, path, start, n, leaves):
    """Every leaf ``path`` reaches, whatever the method (for the 405 answer's allowed methods)."""
    if start > n:
        if node.methods is not None:
            leaves.append(node)
        return 0
    end = path.find("/", start)
    if end < 0:
        end = n
    segment = path[start:end]
    if node.statics:
        child = node.statics.get(segment)
        if child is not None:
            _collect(child, path, end + 1, n, leaves)
    child = node.param
    if child is not None and end > start and _convert(child, segment) is not _NO_MATCH:
        _collect(child, path, end + 1, n, leaves)
    if node.catchall is not None and n > start:
        leaves.append(node.catchall)
    return 0


def _find_mount(node, path, start, n, values):
    """The mount with the longest prefix of ``path`` at or below ``node``, or None."""
    if start <= n:
        end = path.find("/", start)
        if end < 0:
            end = n
        segment = path[start:end]
        if node.statics:
            child = node.statics.get(segment)
            if child is not None:
                found = _find_mount(child, path, end + 1, n, values)
                if found is not None:
                    return found
        child = node.param
        if child is not None and end > start:
            value = _convert(child, segment)
            if value is not _NO_MATCH:
                values.append(value)
                found = _find_mount(child, path, end + 1, n, values)
                if found is not None:
                    return found
                del values[-1]
    entry = node.mount
    if entry is None:
        return None
    return MountMatch(entry.route, _params(entry.names, values), path[start - 1:])


def _match(route, params):
    # PERF: compiled, this skips the argument parsing that calling the class costs.
    match = Match.__new__(Match)
    match.route = route
    match.params = params
    return match


def _params(names, values):
    params = {}
    for i in range(len(names)):
        params[names[i]] = values[i]
    return params


class RouteTable:
    """The compiled routes: ``add_route``/``add_mount`` at start-up, then ``lookup`` per request.

    A template is given as its segments: a ``str`` is a static segment, a ``(name, converter)``
    pair a parameter (``converter`` has ``name``, ``match`` and ``to_python``; the built-in names
    are checked here in C). ``names`` lists the route's parameter names in order.
    """

    def __init__(self, redirect_slashes=True):
        self.root = _Node(_KIND_STR, None, "")
        self.static_leaves = {}
        self.redirect_slashes = redirect_slashes
        self.has_mounts = False

    def lookup(self, method, path):
        """``Match``, ``MethodNotAllowed``, ``MountMatch`` or ``NotFound`` for a decoded path."""
        entry = self._static_entry(method, path)
        if entry is not None:
            return _match(entry.route, {})
        n = len(path)
        if n == 0 or path[0] != "/":
            return _NOT_FOUND
        values = []
        entry = _search(self.root, path, 1, n, method, values)
        if entry is not None:
            return _match(entry.route, _params(entry.names, values))
        return self._miss(method, path)

    def _static_entry(self, method, path):
        """The route for a path without parameters, or None (one dict lookup, no allocation)."""
        leaf = self.static_leaves.get(path)
        if leaf is not None:
            if method is _GET:  # PERF: the reader hands over the interned name
                return leaf.get_entry
            return leaf.methods.get(method)
        return None

    def _miss(self, method, path):
        n = len(path)
        leaves = []
        _collect(self.root, path, 1, n, leaves)
        if leaves:
            if len(leaves) == 1:
                leaf = leaves[0]
                return leaf.not_allowed
            allowed = set()
            for leaf in leaves:
                allowed.update(leaf.methods)
            return MethodNotAllowed(frozenset(allowed))
        if self.has_mounts:
            found = _find_mount(self.root, path, 1, n, [])
            if found is not None:
                return found
        if self.redirect_slashes and n > 1:
            other = path[:-1] if path[n - 1] == "/" else path + "/"
            # NOTE: never to "//host" or "/\host": clients read those as another site (open redirect).
            if (len(other) < 2 or (other[1] != "/" and other[1] != "\\")) and self._resolves(method, other):
                return NotFound(other)
        return _NOT_FOUND

    def _resolves(self, method, path):
        if self._static_entry(method, path) is not None:
            return True
        return _search(self.root, path, 1, len(path), method, []) is not None

    # -- building (start-up only) ----------------------------------------------------------------

    def add_route(self, template, segments, names, methods, route):
        """Route ``methods`` on ``template`` to ``route``; GET brings HEAD unless HEAD is routed."""
        node = self._insert(template, segments)
        if node.methods is None:
            node.methods = {}
        for method in methods:
            existing = node.methods.get(method)
            if existing is not None and not existing.implicit:
                raise ValueError(
                    "%s %s conflicts with %s %s: the same method on the same path shape, so one "
                    "could never match; remove one or change its path" % (
                        method, template, method, existing.template)
                )
            node.methods[method] = _Entry(route, tuple(names), template, False)
            if method == "GET" and "HEAD" not in node.methods:
                node.methods["HEAD"] = _Entry(route, tuple(names), template, True)
        node.get_entry = node.methods.get(_GET)
        node.not_allowed = MethodNotAllowed(frozenset(node.methods))
        if not names:
            self.static_leaves["/" + "/".join(segments)] = node

    def add_mount(self, template, segments, names, mount):
        """Hand paths under ``template`` to ``mount`` when no route matches them."""
        node = self._insert(template, segments)
        if node.mount is not None:
            raise ValueError(
                "mount %r conflicts with mount %r: two mounts at one prefix; remove one"
                % (template or "/", node.mount.template or "/")
            )
        node.mount = _Entry(mount, tuple(names), template, False)
        self.has_mounts = True

    def _insert(self, template, segments):
        node = self.root
        for segment in segments:
            if isinstance(segment, str):
                child = node.statics.get(segment)
                if child is None:
                    child = node.statics[segment] = _Node(_KIND_STR, None, template)
                node = child
                continue
            name, converter = segment
            kind = _BUILTIN_KINDS.get(converter.name, _KIND_CUSTOM)
            label = "{%s:%s}" % (name, converter.name)
            if kind == _KIND_PATH:
                if node.catchall is None:
                    node.catchall = _Node(kind, converter, "%s in %s" % (label, template))
                node = node.catchall
                continue
            child = node.param
            if child is None:
                child = node.param = _Node(kind, converter, "%s in %s" % (label, template))
            elif child.converter_name != converter.name:
                raise ValueError(
                    "%s in %s conflicts with %s: one position takes one converter (names may "
                    "differ); use the same converter, or a static segment to tell them apart"
                    % (label, template, child.origin)
                )
            node = child
        return node


class Dispatcher:
    """Routes each request to its endpoint: what a CovetPy app hands CovetPy's server.

    ``route`` returns the matched endpoint's coroutine, or what ``app.unmatched(request,
    result)`` makes of a failed lookup (a response for 404/405/redirects, or a coroutine).
    ``convert`` and ``handle_error`` are the app's, for the server's other two calls. Compiled,
    the server calls ``route`` as a C function with the method and path it already holds.
    """

    def __init__(self, table, app, default_headers=None):
        self.table = table
        self.app = app
        self.convert = app.convert
        self.handle_error = app.handle_error
        # Headers every response gets (``http_headers``, ``https_headers``, ``names``): the
        # server sends them with its Server and Date lines.
        self.default_headers = default_headers

    def dispatch(self, request):
        return self.route(request, request.method, request.path)

    def route(self, request, method, path):
        entry = self.table._static_entry(method, path)
        if entry is not None:
            return entry.route.endpoint(request)  # path_params stays the request's empty dict
        result = self.table.lookup(method, path)
        if type(result) is Match:
            match = result
            request.path_params = match.params
            return match.route.endpoint(request)
        return self.app.unmatched(request, result)
