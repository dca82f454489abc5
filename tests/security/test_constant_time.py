"""Secrets are compared with hmac.compare_digest, never with == or !=.

A static guard over ``covet/security``: every equality comparison that involves a name that
sounds secret (token, signature, digest, code, state, nonce, hash, verifier, ...) fails this
test unless it is listed below as reviewed — comparisons of lengths, status codes and
token *types*, which are not secret. The behavioural tests of each module check, with a spy,
that the comparisons that matter go through compare_digest.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

SECURITY = Path(__file__).resolve().parents[2] / "covet" / "security"
SECRET_SOUNDING = re.compile(
    r"secret|token|signature|digest|code|state|nonce|hash|verifier|password|challenge|mac|otp", re.I
)
REVIEWED = {
    ("deploy.py", "len(secret_key) == 0"),
    ("jwks.py", "response.status_code != 200"),
    ("oauth2.py", "token_type.lower() != 'bearer'"),
    ("otp.py", "len(code) != digits"),
    ("tokens.py", "claims['token_type'] != token_type"),
    ("tokens.py", "claims['token_type'] == REFRESH"),
}


def _names(node: ast.AST) -> Iterator[str]:
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            yield child.id
        elif isinstance(child, ast.Attribute):
            yield child.attr
        elif isinstance(child, ast.Subscript) and isinstance(child.slice, ast.Constant):
            yield str(child.slice.value)  # claims["nonce"]


def flagged(source: str) -> set[str]:
    """The == / != comparisons in ``source`` with a secret-sounding operand."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare) or not any(
            isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops
        ):
            continue
        operands = (node.left, *node.comparators)
        if any(SECRET_SOUNDING.search(name) for operand in operands for name in _names(operand)):
            found.add(ast.unparse(node))
    return found


def comparisons_in_covet_security() -> set[tuple[str, str]]:
    return {
        (path.name, comparison)
        for path in sorted(SECURITY.glob("*.py"))
        for comparison in flagged(path.read_text(encoding="utf-8"))
    }


def test_no_secret_is_compared_with_equality_operators() -> None:
    unreviewed = comparisons_in_covet_security() - REVIEWED
    assert not unreviewed, f"use hmac.compare_digest, or review and list these: {sorted(unreviewed)}"


def test_the_reviewed_list_has_no_stale_entries() -> None:
    assert not REVIEWED - comparisons_in_covet_security()


def test_the_guard_catches_plain_comparisons_of_secrets() -> None:
    source = "a = provided == user.totp_secret\nb = claims['nonce'] != nonce\nc = len(items) == 3\n"
    assert flagged(source) == {"provided == user.totp_secret", "claims['nonce'] != nonce"}
