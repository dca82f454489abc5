"""How FileResponse goes out on CovetPy's server: os.sendfile against chunks read and written.

uvloop has no ``loop.sendfile`` (NotImplementedError), so ``covet.server.streaming`` calls
``os.sendfile`` on the socket itself; the other way is what TLS connections take: chunks read in
a worker thread and written through the transport. One server in this process serves one file
to a raw loopback client, the two ways taking turns in each repeat; the table gives the median
wall time and process CPU time (server and client together: the client's share is the same for
both) per GiB, and their ratio.

Run: ``python -m bench.file_sending [--size-mib 64] [--repeat 7]``.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from covet import Covet, FileResponse, Request  # noqa: E402
from covet.server import streaming  # noqa: E402
from covet.testing import live_server  # noqa: E402 - CovetPy's server in a thread


@contextmanager
def chunked_sending() -> Iterator[None]:
    """Make the server send files as it does over TLS."""
    original = streaming._sendfile

    async def chunks(conn, cycle, sock_fd, file, offset, count):  # type: ignore[no-untyped-def]
        await streaming._send_chunks(conn, cycle, file, offset, count)

    streaming._sendfile = chunks  # type: ignore[assignment]
    try:
        yield
    finally:
        streaming._sendfile = original


def fetch(host: str, port: int, size: int) -> None:
    with socket.create_connection((host, port)) as conn:
        conn.sendall(b"GET /file HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        buffer = bytearray(1 << 20)
        received = 0
        while True:
            n = conn.recv_into(buffer)
            if not n:
                break
            received += n
    if received < size:
        raise RuntimeError(f"received {received} bytes of {size}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    size = args.size_mib * 1024 * 1024
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "payload.bin"
        path.write_bytes(os.urandom(size))
        app = Covet()

        @app.get("/file")
        async def serve(request: Request) -> FileResponse:
            return FileResponse(path)

        samples: dict[str, list[tuple[float, float]]] = {"sendfile": [], "chunks": []}
        with live_server(app) as server:
            fetch(server.host, server.port, size)  # warm the page cache
            for _ in range(args.repeat):
                for mode in samples:
                    wall, cpu = time.perf_counter(), time.process_time()
                    if mode == "chunks":
                        with chunked_sending():
                            fetch(server.host, server.port, size)
                    else:
                        fetch(server.host, server.port, size)
                    samples[mode].append((time.perf_counter() - wall, time.process_time() - cpu))
    per_gib = 1024**3 / size
    print(f"{'mode':<10} {'wall s/GiB':>11} {'CPU s/GiB':>10}")
    medians = {}
    for mode, values in samples.items():
        wall = statistics.median(v[0] for v in values) * per_gib
        cpu = statistics.median(v[1] for v in values) * per_gib
        medians[mode] = (wall, cpu)
        print(f"{mode:<10} {wall:>11.3f} {cpu:>10.3f}")
    (wall_s, cpu_s), (wall_c, cpu_c) = medians["sendfile"], medians["chunks"]
    print(f"chunks / sendfile: wall {wall_c / wall_s:.2f}x, CPU {cpu_c / cpu_s:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
