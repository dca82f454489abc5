"""Small apps the process tests serve: ``python -m covet serve tests.server.apps.<module>:<attr>``."""
