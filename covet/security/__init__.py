"""Security: primitives that know nothing of HTTP, and the web layer built on them.

The primitives, one module per job:

* ``passwords`` — argon2id (OWASP parameters) and scrypt hashing, upgrades at login
* ``otp`` — HOTP/TOTP, enrolment URIs, replay protection, recovery codes
* ``keys``, ``jwt``, ``tokens`` — JWT keys and key sets (JWKS), encode/decode, access/refresh pairs
* ``stores`` — expiring key sets (memory, Redis) for OTP replay and token revocation
* ``ratelimit`` — token buckets in memory or Redis, with keys by IP, user and route
* ``rbac``, ``policies`` — roles and permissions; object rules and attribute policies
* ``oauth2``, ``jwks``, ``bearer`` — OAuth2/OIDC client, provider key sets, bearer validation
* ``secrets``, ``deploy`` — secrets from the environment or files; ``covet check --deploy``
* ``errors`` — the exceptions, grouped by the HTTP status they stand for (401, 403, ...)

The web layer, a thin one on top:

* ``settings`` — ``covet.Settings``: environment, secret key, allowed hosts, security headers
* ``handlers`` — the default 401/403/429 answers to the errors above
* ``sessions``, ``session_cookies``, ``session_stores`` — ``request.session`` and its backends
* ``csrf`` — CSRFMiddleware: signed double-submit tokens bound to the session, origin checks
* ``authentication`` — session, bearer and API-key backends; ``current_user``/``optional_user``
* ``authorization`` — ``requires``/``require_role``/``requires_scopes`` dependencies and decorators
* ``oauth2_login`` — the login and callback steps of "log in with provider X"
* ``throttling`` — RateLimitMiddleware and the RateLimit dependency: 429 with Retry-After
"""
