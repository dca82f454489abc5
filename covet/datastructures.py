"""The values a request is made of: URL, headers, query and form multi-dicts, uploads, client, state.

Header names arrive from the server lower-case, as ``(bytes, bytes)`` pairs; ``Headers`` reads
that list in place rather than copying it, so building one per request costs almost nothing.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any, Generic, NamedTuple, Optional, TypeVar, Union
from urllib.parse import SplitResult, parse_qsl, unquote_plus, urlencode, urlsplit

RawHeaders = list[tuple[bytes, bytes]]

_V = TypeVar("_V")


class Address(NamedTuple):
    """Where a connection comes from (``request.client``) or arrives (the server)."""

    host: str
    port: int


class URL:
    """An absolute or relative URL, split into its parts on first use.

    ``URL("https://example.com/a?b=1")`` or ``URL(scheme="https", netloc="example.com", path="/a")``.
    ``path`` is percent-encoded, as sent; ``request.path`` is its decoded form.
    """

    __slots__ = ("_url", "_parts")

    def __init__(self, url: str = "", **components: Any) -> None:
        if components:
            if url:
                raise ValueError("URL() takes a URL string or its components, not both")
            url = URL("").replace(**components)._url
        self._url: str = url
        self._parts: Optional[SplitResult] = None

    @classmethod
    def from_parts(cls, scheme: str, netloc: str, path: str, query: str = "", fragment: str = "") -> URL:
        """A URL from parts already known to be well formed (no parsing, for the request path)."""
        url = cls.__new__(cls)
        text = f"{scheme}://{netloc}{path}" if scheme else netloc + path
        if query:
            text += "?" + query
        if fragment:
            text += "#" + fragment
        url._url = text
        # PERF: tuple.__new__ skips the namedtuple's Python-level __new__ (a third of the cost).
        url._parts = tuple.__new__(SplitResult, (scheme, netloc, path, query, fragment))
        return url

    @property
    def components(self) -> SplitResult:
        parts = self._parts
        if parts is None:
            parts = self._parts = urlsplit(self._url)
        return parts

    @property
    def scheme(self) -> str:
        return self.components.scheme

    @property
    def netloc(self) -> str:
        return self.components.netloc

    @property
    def path(self) -> str:
        return self.components.path

    @property
    def query(self) -> str:
        return self.components.query

    @property
    def fragment(self) -> str:
        return self.components.fragment

    @property
    def username(self) -> Optional[str]:
        return self.components.username

    @property
    def password(self) -> Optional[str]:
        return self.components.password

    @property
    def hostname(self) -> Optional[str]:
        return self.components.hostname

    @property
    def port(self) -> Optional[int]:
        return self.components.port

    @property
    def is_secure(self) -> bool:
        return self.scheme in ("https", "wss")

    def replace(self, **kwargs: Any) -> URL:
        """A copy with some parts replaced: ``scheme``, ``netloc``, ``path``, ``query``, ``fragment``,
        or the pieces of the netloc: ``username``, ``password``, ``hostname``, ``port``."""
        if {"username", "password", "hostname", "port"} & kwargs.keys():
            hostname = kwargs.pop("hostname", None)
            port = kwargs.pop("port", self.port)
            username = kwargs.pop("username", self.username)
            password = kwargs.pop("password", self.password)
            if hostname is None:
                hostname = self.netloc.rpartition("@")[2]
                if not hostname.endswith("]"):
                    hostname = hostname.rsplit(":", 1)[0]
            elif ":" in hostname and not hostname.startswith("["):
                hostname = f"[{hostname}]"  # an IPv6 address
            netloc = hostname if port is None else f"{hostname}:{port}"
            if username is not None:
                userinfo = username if password is None else f"{username}:{password}"
                netloc = f"{userinfo}@{netloc}"
            kwargs["netloc"] = netloc
        return URL(self.components._replace(**kwargs).geturl())

    def include_query_params(self, **params: Any) -> URL:
        """A copy with ``params`` set in its query (others kept)."""
        query = dict(parse_qsl(self.query, keep_blank_values=True))
        query.update({key: str(value) for key, value in params.items()})
        return self.replace(query=urlencode(query))

    def replace_query_params(self, **params: Any) -> URL:
        """A copy whose query is exactly ``params``."""
        return self.replace(query=urlencode([(key, str(value)) for key, value in params.items()]))

    def remove_query_params(self, keys: Union[str, Sequence[str]]) -> URL:
        drop = {keys} if isinstance(keys, str) else set(keys)
        query = [(k, v) for k, v in parse_qsl(self.query, keep_blank_values=True) if k not in drop]
        return self.replace(query=urlencode(query))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (str, URL)):
            return str(self) == str(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._url)

    def __str__(self) -> str:
        return self._url

    def __repr__(self) -> str:
        text = self._url
        if self.password:
            text = self.replace(password="*" * 8)._url  # never print a password
        return f"{type(self).__name__}({text!r})"


# -- headers -----------------------------------------------------------------------------------

# RFC 9110 5.6.2: a field name is a token.
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def encode_header(name: str, value: str) -> tuple[bytes, bytes]:
    """One header as the server sends it: a lower-case token name and a value without line breaks.

    Refusing CR, LF and NUL here stops header injection (a value that would start a new header
    or end the head) at the point where the header is set, with a message that names it.
    """
    try:
        raw_name = name.lower().encode("latin-1")
        raw_value = value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(
            f"header {name!r}: names and values must be latin-1 text; percent-encode other characters"
        ) from None
    if not _TOKEN.fullmatch(raw_name):
        raise ValueError(f"header name {name!r} is not an HTTP token (letters, digits, !#$%&'*+-.^_`|~)")
    if b"\r" in raw_value or b"\n" in raw_value or b"\0" in raw_value:
        raise ValueError(
            f"header {name!r}: the value holds a CR, LF or NUL, which would split the response; remove it"
        )
    return raw_name, raw_value.strip(b" \t")


def header_text(raw: bytes) -> str:
    """Header text as str: UTF-8 as browsers send non-ASCII cookies and file names, else latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _header_key(name: str) -> Optional[bytes]:
    try:
        return name.lower().encode("latin-1")
    except UnicodeEncodeError:
        return None  # no header can have this name


class Headers(Mapping[str, str]):
    """Case-insensitive, multi-valued, read-only headers over a list of (bytes, bytes) pairs.

    ``headers["accept"]`` and ``get`` give the first value, ``getlist`` all of them; ``raw`` is
    the list itself. ``Headers({"X-Name": "value"})`` builds one from a mapping.
    """

    __slots__ = ("_list",)

    def __init__(self, headers: Optional[Mapping[str, str]] = None, raw: Optional[RawHeaders] = None) -> None:
        if headers is not None:
            if raw is not None:
                raise ValueError("Headers() takes a mapping or a raw list, not both")
            self._list = [encode_header(name, value) for name, value in headers.items()]
        else:
            self._list = raw if raw is not None else []

    @property
    def raw(self) -> RawHeaders:
        return self._list

    def get(self, key: str, default: Any = None) -> Any:
        name = _header_key(key)
        for n, v in self._list:
            if n == name:
                return v.decode("latin-1")
        return default

    def getlist(self, key: str) -> list[str]:
        name = _header_key(key)
        return [v.decode("latin-1") for n, v in self._list if n == name]

    def keys(self) -> list[str]:  # type: ignore[override]
        return [n.decode("latin-1") for n, _ in self._list]

    def values(self) -> list[str]:  # type: ignore[override]
        return [v.decode("latin-1") for _, v in self._list]

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return [(n.decode("latin-1"), v.decode("latin-1")) for n, v in self._list]

    def mutablecopy(self) -> MutableHeaders:
        return MutableHeaders(raw=list(self._list))

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value  # type: ignore[no-any-return]

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        name = _header_key(key)
        return any(n == name for n, _ in self._list)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._list)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return sorted(self._list) == sorted(other._list)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        items = self.items()
        if len({name for name, _ in items}) == len(items):
            return f"{type(self).__name__}({dict(items)!r})"
        return f"{type(self).__name__}(raw={self._list!r})"


class MutableHeaders(Headers):
    """Headers that can be changed; ``MutableHeaders(raw=response.headers)`` edits a response's own list.

    Names and values are checked as they are set (see ``encode_header``).
    """

    __slots__ = ()

    def __setitem__(self, key: str, value: str) -> None:
        """Set ``key`` to ``value`` alone, replacing every earlier value."""
        pair = encode_header(key, value)
        raw = self._list
        raw[:] = [item for item in raw if item[0] != pair[0]]
        raw.append(pair)

    def __delitem__(self, key: str) -> None:
        name = _header_key(key)
        raw = self._list
        kept = [item for item in raw if item[0] != name]
        if len(kept) == len(raw):
            raise KeyError(key)
        raw[:] = kept

    def append(self, key: str, value: str) -> None:
        """Add a value, keeping the ones already there (``set-cookie``, ``vary``, ``link``)."""
        self._list.append(encode_header(key, value))

    def setdefault(self, key: str, value: str) -> str:
        current = self.get(key)
        if current is None:
            self.append(key, value)
            return encode_header(key, value)[1].decode("latin-1")
        return current  # type: ignore[no-any-return]

    def update(self, other: Mapping[str, str]) -> None:
        for key, value in other.items():
            self[key] = value

    def add_vary_header(self, value: str) -> None:
        """Add ``value`` to ``Vary`` unless it is listed already."""
        current = self.get("vary")
        if current is None:
            self["vary"] = value
            return
        listed = {item.strip().lower() for item in current.split(",")}
        if value.lower() not in listed:
            self["vary"] = f"{current}, {value}"


# -- multi-dicts -------------------------------------------------------------------------------


class ImmutableMultiDict(Mapping[str, _V], Generic[_V]):
    """A read-only mapping that keeps every value of a repeated key, in order.

    ``d[key]`` and ``get`` give the LAST value (as Starlette does), ``getlist`` all of them,
    ``multi_items`` every pair; ``keys``, ``values`` and ``items`` have one entry per key.
    """

    __slots__ = ("_list", "_dict")

    def __init__(
        self, items: Union[ImmutableMultiDict[_V], Mapping[str, _V], Iterable[tuple[str, _V]]] = ()
    ) -> None:
        if type(items) is list:
            pairs = list(items)  # PERF: before the ABC isinstance checks, which cost more than this
        elif isinstance(items, ImmutableMultiDict):
            pairs = items.multi_items()
        elif isinstance(items, Mapping):
            pairs = list(items.items())
        else:
            pairs = list(items)
        self._list: list[tuple[str, _V]] = pairs
        self._dict: dict[str, _V] = dict(pairs)

    def getlist(self, key: str) -> list[_V]:
        return [value for k, value in self._list if k == key]

    def multi_items(self) -> list[tuple[str, _V]]:
        return list(self._list)

    def get(self, key: str, default: Any = None) -> Any:
        return self._dict.get(key, default)

    def __getitem__(self, key: str) -> _V:
        return self._dict[key]

    def __contains__(self, key: object) -> bool:
        return key in self._dict

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImmutableMultiDict):
            return NotImplemented
        return self._grouped() == other._grouped()

    def _grouped(self) -> dict[str, list[_V]]:
        """Values by key: equality ignores the order of keys, not that of a key's values."""
        grouped: dict[str, list[_V]] = {}
        for key, value in self._list:
            grouped.setdefault(key, []).append(value)
        return grouped

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._list!r})"


def parse_query_string(query: str) -> list[tuple[str, str]]:
    """``a=1&b=x+y&flag`` -> pairs, as ``parse_qsl(keep_blank_values=True)`` gives them.

    PERF: about five times faster than parse_qsl on a typical query: only the pieces that hold
    ``%`` or ``+`` go through ``unquote_plus``.
    """
    pairs = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        if "%" in name or "+" in name:
            name = unquote_plus(name)
        if "%" in value or "+" in value:
            value = unquote_plus(value)
        pairs.append((name, value))
    return pairs


class QueryParams(ImmutableMultiDict[str]):
    """The query string's parameters: ``QueryParams("a=1&a=2")``, from bytes, a mapping or pairs."""

    __slots__ = ()

    def __init__(
        self,
        query: Union[str, bytes, ImmutableMultiDict[str], Mapping[str, str], Iterable[tuple[str, str]]] = "",
    ) -> None:
        if isinstance(query, bytes):
            query = query.decode("latin-1")
        if isinstance(query, str):
            super().__init__(parse_query_string(query))
        else:
            super().__init__(query)

    def __str__(self) -> str:
        return urlencode(self._list)


class UploadFile:
    """An uploaded file: kept in memory while small, spooled to a temporary file past a threshold.

    ``read``, ``write`` and ``seek`` run in a worker thread once the data is on disk, so a large
    upload does not block the event loop.
    """

    __slots__ = ("file", "filename", "size", "headers")

    def __init__(
        self,
        file: IO[bytes],
        *,
        size: Optional[int] = None,
        filename: Optional[str] = None,
        headers: Optional[Headers] = None,
    ) -> None:
        self.file = file
        self.size = size
        self.filename = filename
        self.headers = headers if headers is not None else Headers()

    @property
    def content_type(self) -> Optional[str]:
        return self.headers.get("content-type")  # type: ignore[no-any-return]

    @property
    def _in_memory(self) -> bool:
        rolled = getattr(self.file, "_rolled", True)
        return not rolled

    async def write(self, data: bytes) -> None:
        if self.size is not None:
            self.size += len(data)
        if self._in_memory:
            self.file.write(data)
        else:
            await asyncio.to_thread(self.file.write, data)

    async def read(self, size: int = -1) -> bytes:
        if self._in_memory:
            return self.file.read(size)
        return await asyncio.to_thread(self.file.read, size)

    async def seek(self, offset: int) -> None:
        if self._in_memory:
            self.file.seek(offset)
        else:
            await asyncio.to_thread(self.file.seek, offset)

    async def close(self) -> None:
        if self._in_memory:
            self.file.close()
        else:
            await asyncio.to_thread(self.file.close)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(filename={self.filename!r}, size={self.size!r}, "
            f"content_type={self.content_type!r})"
        )


class FormData(ImmutableMultiDict[Union[str, UploadFile]]):
    """The fields of a submitted form: text values and ``UploadFile`` objects."""

    __slots__ = ("__weakref__",)  # forms.parse_form closes the files when a form is dropped

    async def close(self) -> None:
        """Close every uploaded file (their temporary files are removed)."""
        for _, value in self._list:
            if isinstance(value, UploadFile):
                await value.close()


class State:
    """Attribute-style storage for one request (``request.state.user = user``)."""

    __slots__ = ("_state",)

    def __init__(self, state: Optional[dict[str, Any]] = None) -> None:
        object.__setattr__(self, "_state", state if state is not None else {})

    def __getattr__(self, name: str) -> Any:
        try:
            return self._state[name]
        except KeyError:
            raise AttributeError(f"'State' object has no attribute {name!r}; set it first") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self._state[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self._state[name]
        except KeyError:
            raise AttributeError(f"'State' object has no attribute {name!r}") from None

    def __contains__(self, name: str) -> bool:
        return name in self._state

    def __repr__(self) -> str:
        return f"State({self._state!r})"
