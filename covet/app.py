"""The application object: routes, request dispatch, and an ASGI 3 interface."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Optional, TypeVar, Unpack

from covet._speedups.messages import BaseResponse
from covet._speedups.router import Dispatcher
from covet.asgi import ASGIApp, Receive, Scope, Send
from covet.asgi_bridge import call_asgi, http_scope_for
from covet.endpoints import RouteOptions, to_response
from covet.exceptions import ClientDisconnect, HTTPException
from covet.lifespan import AppLifespan, LifespanFunction
from covet.middleware.base import BaseHTTPMiddleware, DispatchFunction, Middleware
from covet.middleware.errors import (
    ExceptionHandler,
    ExceptionHandlers,
    HandlerKey,
    call_async,
    call_sync,
    http_exception_response,
    is_async_callable,
)
from covet.middleware.securityheaders import SecurityHeadersMiddleware
from covet.middleware.stack import Stack, build_stack
from covet.middleware.trustedhost import TrustedHostMiddleware
from covet.openapi import OpenAPI
from covet.requests import Request
from covet.responses import Response
from covet.routing import (
    WEBSOCKET,
    LookupResult,
    Match,
    MethodNotAllowed,
    MountMatch,
    Router,
    RouteShortcuts,
    RouteTable,
)
from covet.security.handlers import install_security_handlers
from covet.security.settings import Settings
from covet.validation import RequestValidationError, answer_validation_error
from covet.websockets import WebSocketHandler

logger = logging.getLogger("covet.error")

# Any async function: typed handlers take more than the request (see covet.endpoints).
Handler = Callable[..., Awaitable[Any]]
H = TypeVar("H", bound=Handler)
W = TypeVar("W", bound=WebSocketHandler)
E = TypeVar("E", bound=ExceptionHandler)
D = TypeVar("D", bound=DispatchFunction)
Hook = Callable[[], Any]


class Covet(RouteShortcuts):
    """A CovetPy application: ``@app.get("/users/{id:int}")`` registers ``async def handler(request)``.

    Handlers return a Response, a ``str`` (text), ``bytes``, or a dict, list or dataclass (JSON).
    Path parameters arrive converted in ``request.path_params``. Around the routes: middleware
    (``covet.middleware.stack``), exception handlers (``covet.middleware.errors``), mounted ASGI
    apps, WebSocket routes (``covet.websockets``) and the lifespan (``covet.lifespan``). The
    object is an ASGI 3 callable; CovetPy's own server calls it natively (``__covet_handler__``).

    ``settings`` (``covet.Settings``, by default read from the environment) decide debug mode,
    the secret key, the allowed hosts and the security headers every response gets; ``debug``
    overrides the settings' value. In debug mode an unhandled exception answers with the
    traceback page, and each request is one block of the ORM's N+1 detection: a SELECT shape run
    twice within one request logs a warning naming the line that repeated it
    (``covet.orm.instrumentation``).
    """

    def __init__(
        self,
        *,
        settings: Optional[Settings] = None,
        debug: Optional[bool] = None,
        redirect_slashes: bool = True,
        middleware: Sequence[Middleware] = (),
        exception_handlers: Optional[Mapping[HandlerKey, ExceptionHandler]] = None,
        on_startup: Iterable[Hook] = (),
        on_shutdown: Iterable[Hook] = (),
        lifespan: Optional[LifespanFunction] = None,
        max_body_size: int = 16 * 1024 * 1024,
        title: str = "CovetPy",
        version: str = "0.1.0",
        description: Optional[str] = None,
        openapi_url: Optional[str] = "/openapi.json",
        docs_url: Optional[str] = "/docs",
    ) -> None:
        if max_body_size < 1:
            raise ValueError(f"max_body_size must be at least 1 byte, got {max_body_size!r}")
        self.settings = Settings.from_env() if settings is None else settings
        self.debug = self.settings.debug if debug is None else debug
        #: The largest request body ``request.body()``/``stream()``/``form()`` accept (413 past it).
        self.max_body_size = max_body_size
        self.on_startup: list[Hook] = list(on_startup)
        self.on_shutdown: list[Hook] = list(on_shutdown)
        self.router = Router(redirect_slashes=redirect_slashes)
        self._dispatcher: Dispatcher | None = None
        self.user_middleware: list[Middleware] = list(middleware)
        self.exception_handlers = ExceptionHandlers(exception_handlers)
        self.lifespan_state: dict[str, Any] = {}
        self._lifespan = AppLifespan(lifespan)
        self._stack: Stack | None = None
        self._default_headers: Optional[SecurityHeadersMiddleware] | bool = False  # not built yet
        if RequestValidationError not in self.exception_handlers.by_class:
            self.exception_handlers.add(RequestValidationError, answer_validation_error)
        install_security_handlers(self.exception_handlers)
        # Replacements for dependencies, read per request: app.dependency_overrides[get_db] = fake.
        self.dependency_overrides: dict[Callable[..., Any], Callable[..., Any]] = {}
        self.openapi_doc = OpenAPI(self.router, title, version, description, openapi_url, docs_url)
        self.openapi_doc.add_routes(self.router)

    # -- registration -----------------------------------------------------------------------

    def route(
        self,
        path: str,
        methods: Iterable[str] = ("GET",),
        name: str | None = None,
        **options: Unpack[RouteOptions],
    ) -> Callable[[H], H]:
        """Register an ``async def`` handler for ``path`` (a template, see ``covet.routing``).

        Its parameters are filled by annotation (see ``covet.params``, ``covet.dependencies``);
        ``options`` (``status_code``, ``response_model``, ``tags``, ...) are ``RouteOptions``.
        """

        def register(registered: H) -> H:
            self.router.add_route(path, registered, methods, name, **options)
            self._dispatcher = None
            return registered

        return register

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document of the app's routes (built on first use, rebuilt after changes)."""
        return self.openapi_doc.document()

    def include_router(self, router: Router, prefix: str = "", name: str | None = None) -> None:
        """Serve ``router``'s routes under ``prefix`` (names become ``name:route``)."""
        self.router.include(router, prefix, name)
        self._dispatcher = None

    def url_for(self, name: str, /, **params: Any) -> str:
        """The percent-encoded path of the route called ``name`` (see ``Router.url_for``)."""
        return self.router.url_for(name, **params)

    def websocket(self, path: str, name: str | None = None) -> Callable[[W], W]:
        """Register ``async def handler(websocket)`` for WebSocket handshakes on ``path``."""

        def register(handler: W) -> W:
            self.router.websocket(path, name)(handler)
            self._dispatcher = None
            return handler

        return register

    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        """Serve every path under ``path`` that no route takes with the ASGI ``app``.

        The mounted app sees ``root_path`` set to where it is mounted and the whole ``path``,
        as the ASGI spec has it (Starlette apps and ``StaticFiles`` work as they would there).
        An app with a ``__covet_mount__(request, path)`` coroutine method is called natively
        instead, with no scope and no Task.
        """
        self.router.mount(path, app, name)
        self._dispatcher = None

    # -- middleware and exception handlers --------------------------------------------------

    def add_middleware(self, cls: Any, /, *args: Any, **options: Any) -> None:
        """Wrap the app in ``cls(app, *args, **options)``: it becomes the outermost layer so far."""
        if self._stack is not None:
            raise RuntimeError("cannot add middleware after the application has started serving")
        self.user_middleware.insert(0, Middleware(cls, *args, **options))

    def middleware(self, kind: str = "http") -> Callable[[D], D]:
        """Decorator for ``async def mw(request, call_next) -> Response``: a native middleware layer."""
        if kind != "http":
            raise ValueError(f"@app.middleware takes 'http', not {kind!r}")

        def register(dispatch: D) -> D:
            self.add_middleware(BaseHTTPMiddleware, dispatch=dispatch)
            return dispatch

        return register

    def add_exception_handler(self, key: HandlerKey, handler: ExceptionHandler) -> None:
        """Answer exceptions of class ``key`` (or HTTPExceptions with status ``key``) with ``handler``."""
        if self._stack is not None:
            raise RuntimeError("cannot add exception handlers after the application has started serving")
        self.exception_handlers.add(key, handler)

    def exception_handler(self, key: HandlerKey) -> Callable[[E], E]:
        """Decorator form of ``add_exception_handler``: ``@app.exception_handler(404)``."""

        def register(handler: E) -> E:
            self.add_exception_handler(key, handler)
            return handler

        return register

    # -- dispatch ---------------------------------------------------------------------------

    def __covet_handler__(self) -> Any:
        """What CovetPy's server calls instead of ASGI: ``dispatch``, ``convert``, ``handle_error``.

        The compiled ``Dispatcher`` when the app has no middleware, no ``async`` exception
        handler and is not in debug mode (each request costs what routing and the handler
        cost), carrying the default security headers for the server to send with every
        response when they are on; else the native stack; None when the outermost middleware
        is a pure ASGI one, so that the server runs the app through ASGI.
        """
        dispatcher = self._compile()
        stack = self.middleware_stack
        if stack.http is None:
            return None
        outer, inner = self.framework_middleware
        plain = not outer and not self.user_middleware and not self.exception_handlers.any_async
        if plain and not self.debug:  # debug mode watches each request's queries: NativeStack
            if self.default_headers is not None:
                # The headers go out with the server's Server and Date lines: no layer at all.
                return Dispatcher(dispatcher.table, self, self.default_headers)
            return dispatcher
        return NativeStack(self)

    def _compile(self) -> Dispatcher:
        dispatcher = self._dispatcher = Dispatcher(self.router.compile(), self)
        return dispatcher

    @property
    def route_table(self) -> RouteTable:
        """The compiled routes (compiled again after a route is added)."""
        return (self._dispatcher or self._compile()).table

    @property
    def middleware_stack(self) -> Stack:
        """The middleware around the app, built on first use (see ``framework_middleware``)."""
        if self._stack is None:
            outer, inner = self.framework_middleware
            self._stack = build_stack(self, [*outer, *self.user_middleware, *inner])
        return self._stack

    @property
    def framework_middleware(self) -> tuple[list[Middleware], list[Middleware]]:
        """The layers the settings add outside and inside the app's own middleware.

        Outside: TrustedHost for ``allowed_hosts``. Inside, around the routes: the security
        headers, so every response the routes, mounts, routing and exception handlers make gets
        them (one a middleware makes itself, a CORS preflight say, does not: add
        SecurityHeadersMiddleware outermost yourself to cover those, which replaces this layer).
        """
        settings = self.settings
        outer, inner = [], []
        if settings.allowed_hosts:
            outer.append(Middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts))
        options = self._security_headers_options()
        if options is not None:
            inner.append(Middleware(SecurityHeadersMiddleware, **options))
        return outer, inner

    def _security_headers_options(self) -> Optional[dict[str, Any]]:
        """The default security headers' settings; None when they are off or the app has its own."""
        settings = self.settings
        own_headers = any(layer.cls is SecurityHeadersMiddleware for layer in self.user_middleware)
        if not settings.security_headers or own_headers:
            return None
        return {
            "hsts": settings.hsts_max_age > 0,
            "hsts_max_age": settings.hsts_max_age,
            "hsts_include_subdomains": settings.hsts_include_subdomains,
            "content_security_policy": settings.content_security_policy,
            "permissions_policy": None,
        }

    @property
    def default_headers(self) -> Optional[SecurityHeadersMiddleware]:
        """The default security headers (``apply(request, response)``), or None when off."""
        if self._default_headers is False:
            options = self._security_headers_options()
            self._default_headers = (
                None if options is None else SecurityHeadersMiddleware(self.call_endpoint, **options)
            )
        return self._default_headers  # type: ignore[return-value]

    def answer_unhandled(self, request: Request, response: Response) -> Response:
        """The last-resort answer to an exception, with the default headers every response gets."""
        headers = self.default_headers
        return response if headers is None else headers.apply(request, response)

    def dispatch(self, request: Request) -> Any:
        """Route ``request``: a response when routing alone answers it, else the handler's coroutine.

        The server runs the coroutine itself (its first step without a Task), so no wrapper
        coroutine stands between it and the handler.
        """
        return (self._dispatcher or self._compile()).dispatch(request)

    def unmatched(self, request: Request, result: LookupResult) -> Any:
        """The answer when no route takes ``request``: a mounted app's, 405 (204 for OPTIONS), a
        redirect, or 404 — through the exception handler registered for the status, if any."""
        if type(result) is MountMatch:
            return self._call_mount(request, result)
        if type(result) is MethodNotAllowed:
            allowed = result.allowed - {WEBSOCKET}
            if not allowed:
                return self._routing_error(request, HTTPException(404))  # a WebSocket route only
            allow = ", ".join(sorted(allowed | {"OPTIONS"}))
            if request.method == "OPTIONS":
                return Response(status_code=204, headers={"allow": allow})
            return self._routing_error(request, HTTPException(405, headers={"allow": allow}))
        redirect = getattr(result, "redirect", None)
        if redirect is not None:
            return self._redirect_slash(request)
        return self._routing_error(request, HTTPException(404))

    def _routing_error(self, request: Request, exc: HTTPException) -> Any:
        """The 404 or 405 routing gives: the handler registered for it, else the default text.

        A fresh response each time: middleware may change the response it is handed.
        """
        handler = self.exception_handlers.by_status.get(exc.status_code)
        if handler is None:
            return http_exception_response(request, exc)
        if is_async_callable(handler):
            return call_async(handler, request, exc)  # the server awaits it like a handler
        return call_sync(handler, request, exc)

    def _call_mount(self, request: Request, match: MountMatch) -> Awaitable[Response]:
        """Run the mounted app: natively when it offers ``__covet_mount__(request, path)`` (``path``
        is the rest below the mount), else through ASGI (``covet.asgi_bridge``)."""
        request.path_params = match.params
        native = getattr(match.mount.app, "__covet_mount__", None)
        if native is not None:
            return native(request, match.path)  # type: ignore[no-any-return]
        path = request.path
        mounted_at = path[: len(path) - len(match.path)]
        scope = http_scope_for(request, self.lifespan_state, mounted_at, match.params)
        return call_asgi(match.mount.app, request, scope)

    def _redirect_slash(self, request: Request) -> Response:
        """308 (the method is kept) to the same path with its trailing slash toggled."""
        raw = request._head.raw_path
        target = raw[:-1] if raw.endswith(b"/") else raw + b"/"
        if request.query_string:
            target += b"?" + request.query_string
        return Response(status_code=308, headers=[(b"location", target)])

    def convert(self, request: Request, result: Any) -> Response:
        """The response for a handler's return value that is not a Response already."""
        return to_response(result, lambda: self._handler_name(request))

    def handle_error(self, request: Request, exc: BaseException) -> Response:
        """The response for an exception the app raised (ClientDisconnect is passed on).

        Called by CovetPy's server, synchronously: used when no exception handler is ``async``.
        """
        if isinstance(exc, ClientDisconnect) or not isinstance(exc, Exception):
            raise exc  # the server closes the connection; nothing to answer, nothing to log
        handler, unhandled = self.exception_handlers.resolve(exc, self.debug)
        if unhandled:
            self._log_unhandled(request, exc)
        return call_sync(handler, request, exc)

    async def handle(self, request: Request) -> Response:
        """Run the whole app (middleware, routing, handler, exception handlers) for ``request``."""
        stack = self.middleware_stack
        try:
            if stack.http is not None:
                return await stack.http(request)
            return await call_asgi(stack.asgi, request, http_scope_for(request, self.lifespan_state))
        except ClientDisconnect:
            raise
        except Exception as exc:
            handler, unhandled = self.exception_handlers.resolve(exc, self.debug)
            if unhandled:
                self._log_unhandled(request, exc)
            return self.answer_unhandled(request, await call_async(handler, request, exc))

    async def handle_watching_queries(self, request: Request) -> Response:
        """``handle`` with the request as one block of N+1 detection: how debug mode serves."""
        # Imported here: the ORM loads only for apps in debug mode (or that use it).
        from covet.orm.instrumentation import detect_repeated_queries

        with detect_repeated_queries():
            return await self.handle(request)

    async def call_endpoint(self, request: Request) -> Response:
        """Route and run ``request``, answering its exceptions with their handlers: the layer
        the middleware wraps. An exception no handler takes propagates (to the 500)."""
        outcome = self.dispatch(request)
        if isinstance(outcome, BaseResponse):
            return outcome  # type: ignore[return-value]
        try:
            result = await outcome
        except Exception as exc:
            handler = self.exception_handlers.find(exc)
            if handler is None:
                raise
            return await call_async(handler, request, exc)
        if isinstance(result, BaseResponse):
            return result  # type: ignore[return-value]
        return self.convert(request, result)

    def _log_unhandled(self, request: Request, exc: BaseException) -> None:
        logger.error("Exception in handler %s", self._handler_name(request), exc_info=exc)

    def _handler_name(self, request: Request) -> str:
        result = self.router.lookup(request.method, request.path)
        if type(result) is Match:
            return str(result.route.handler.__qualname__)
        if type(result) is MountMatch:
            return f"(the app mounted at {result.mount.path or '/'})"
        return "?"

    async def startup(self) -> None:
        """Run the start-up hooks, then enter the lifespan context (what the server's lifespan does)."""
        await self._lifespan.startup(self)

    async def shutdown(self) -> None:
        """Exit the lifespan context, then run the shut-down hooks."""
        await self._lifespan.shutdown(self)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.debug and scope["type"] == "http":
            from covet.orm.instrumentation import detect_repeated_queries

            with detect_repeated_queries():  # one block of N+1 detection per request
                await self.middleware_stack.asgi(scope, receive, send)
            return
        await self.middleware_stack.asgi(scope, receive, send)


class NativeStack:
    """The app with its middleware, as CovetPy's server calls it (see ``Covet.__covet_handler__``).

    ``dispatch`` hands the server ``Covet.handle``'s coroutine: it awaits the outermost layer
    and answers what escapes it inside the request's context (so ``async`` exception handlers
    can run, and the error log sees the request's context variables, its request id say). In
    debug mode (as the app is when the server starts) it is ``Covet.handle_watching_queries``.
    """

    __slots__ = ("app", "dispatch", "convert", "handle_error")

    def __init__(self, app: Covet) -> None:
        self.app = app
        self.dispatch = app.handle_watching_queries if app.debug else app.handle
        self.convert = app.convert
        self.handle_error = app.handle_error

