"""``python -m covet``: the same as the ``covet`` command."""

from covet.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
