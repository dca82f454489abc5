"""Apps the security tests serve with ``python -m covet serve`` in separate processes."""
