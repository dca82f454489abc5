"""``--ssl-certfile/--ssl-keyfile`` serve HTTPS; ``--uds`` serves on a Unix domain socket."""

import os
import signal
import socket
import ssl

import httpx
import pytest
import trustme
from cryptography.hazmat.primitives import serialization

from tests.server.covet_process import APPS, covet_serve, free_port, run_covet

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def cert_files(ca, tmp_path):
    """The server certificate chain, its key, and a client TLS context that trusts the CA."""
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    ca.cert_pem.write_to_path(str(ca_file))
    return str(certfile), str(keyfile), ssl.create_default_context(cafile=str(ca_file)), cert


def test_https_with_a_certificate_the_client_trusts(cert_files):
    certfile, keyfile, client_tls, _ = cert_files
    port = free_port()
    url = f"https://127.0.0.1:{port}/scheme"
    with covet_serve(
        f"{APPS}.basic:app",
        "--port",
        str(port),
        "--ssl-certfile",
        certfile,
        "--ssl-keyfile",
        keyfile,
        ready=lambda: httpx.get(url, verify=client_tls),
    ) as server:
        response = httpx.get(url, verify=client_tls)
        assert response.text == "https"
        assert response.http_version == "HTTP/1.1"
        with pytest.raises(httpx.ConnectError):
            httpx.get(url)  # the system CAs do not vouch for this certificate
        server.send_signal(signal.SIGTERM)
        assert server.wait() == 0
        assert f"serving on https://127.0.0.1:{port}" in server.log()


def test_an_encrypted_key_with_its_password(cert_files, tmp_path):
    _, _, client_tls, cert = cert_files
    key = serialization.load_pem_private_key(cert.private_key_pem.bytes(), password=None)
    encrypted = tmp_path / "encrypted-key.pem"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )
    chain = tmp_path / "chain.pem"
    for blob in cert.cert_chain_pems:
        with chain.open("ab") as out:
            out.write(blob.bytes())
    port = free_port()
    url = f"https://127.0.0.1:{port}/scheme"
    with covet_serve(
        f"{APPS}.basic:app",
        "--port",
        str(port),
        "--ssl-certfile",
        str(chain),
        "--ssl-keyfile",
        str(encrypted),
        "--ssl-keyfile-password",
        "s3cret",
        ready=lambda: httpx.get(url, verify=client_tls),
    ):
        assert httpx.get(url, verify=client_tls).text == "https"


def test_a_missing_certificate_is_one_line_and_exit_2(tmp_path):
    missing = str(tmp_path / "missing.pem")
    result = run_covet(
        "serve",
        f"{APPS}.basic:app",
        "--port",
        str(free_port()),
        "--ssl-certfile",
        missing,
        "--ssl-keyfile",
        missing,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"covet: cannot load the TLS certificate '{missing}'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_certificate_without_its_key_is_refused(cert_files):
    result = run_covet("serve", f"{APPS}.basic:app", "--ssl-certfile", cert_files[0])
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "covet: --ssl-certfile and --ssl-keyfile go together: give both to serve HTTPS"
    )


def uds_get(path: str, target: str) -> httpx.Response:
    probe = socket.socket(socket.AF_UNIX)
    try:
        # httpcore leaks its socket when a Unix connect fails: find out first, without it.
        probe.connect(path)
    except OSError as exc:
        raise httpx.ConnectError(f"nothing listens on {path}: {exc}") from None
    finally:
        probe.close()
    with httpx.Client(transport=httpx.HTTPTransport(uds=path)) as client:
        return client.get(f"http://covet{target}")


def test_unix_domain_socket(tmp_path):
    path = str(tmp_path / "covet.sock")
    with covet_serve(f"{APPS}.basic:app", "--uds", path, ready=lambda: uds_get(path, "/")) as server:
        assert uds_get(path, "/").text == "hello"
        assert uds_get(path, "/scheme").text == "http"
        assert f"serving on unix:{path}" in server.log()
        server.send_signal(signal.SIGTERM)
        assert server.wait() == 0
    assert not os.path.exists(path)  # removed on the way out


def test_unix_domain_socket_with_workers(tmp_path):
    path = str(tmp_path / "covet.sock")
    with covet_serve(
        f"{APPS}.basic:app", "--uds", path, "--workers", "2", ready=lambda: uds_get(path, "/")
    ) as server:
        assert int(uds_get(path, "/pid").text) != server.pid
        server.send_signal(signal.SIGTERM)
        assert server.wait() == 0
    assert not os.path.exists(path)
