"""A certificate for 127.0.0.1 and a client context that trusts it, for HTTPS tests in-process."""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme


def tls_files(directory: Path) -> tuple[dict[str, str], ssl.SSLContext]:
    """``running_server`` options that serve HTTPS, and the SSL context a client needs."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile = directory / "cert.pem", directory / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return {"ssl_certfile": str(certfile), "ssl_keyfile": str(keyfile)}, context
