"""Security primitives: passwords, one-time codes, JWTs, rate limits, RBAC and policies, OAuth2, secrets.

Each module does one job and imports nothing from the web layer; the middleware and
dependencies that turn these into 401/403/429 answers are thin layers on top.
"""
