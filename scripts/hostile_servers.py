#!/usr/bin/env python3
"""Misbehaving HTTP "CSAF providers" on loopback, for fault-injection tests and benchmarks.

    python3 scripts/hostile_servers.py [--copies N] [--max-seconds S] [--kinds k1,k2,...]

Starts, for each kind (default: all), N copies of a server on 127.0.0.1 on an ephemeral port, prints one JSON line

    {"servers": [{"kind": "blackhole", "url": "http://127.0.0.1:PORT/.well-known/csaf/provider-metadata.json"}, ...]}

and serves until stdin reaches EOF, a line `quit` arrives on stdin, SIGTERM/SIGINT, or --max-seconds (default 600)
pass, then exits 0. A line `stats` on stdin prints one JSON line

    {"stats": {"blackhole": {"connections": 3, "open": 1, "max_open": 2, "longest_seconds": 10.021,
                             "requests": 0, "rejected": 0}, ...}}

with the counters of every started kind summed over its copies: `connections` accepted so far, `open` now,
`max_open` the peak open at once, `longest_seconds` the longest any one connection was held (accept to close by either
side; open ones count with their age so far), `requests` HTTP request heads read, `rejected` connections closed at once
because the server already had 256 open. Only JSON lines go to stdout; diagnostics go to stderr. Unknown kinds exit 2.

Every URL path of a server answers the same way. Kinds:

  refuse         a port that is bound but never listens: connections are refused (stats stay zero)
  reset          accepts and closes at once with SO_LINGER 0 (the client sees a reset)
  blackhole      accepts the TCP connection, never reads or writes
  silent         reads the request, never answers
  stall-headers  reads the request, sends the status line and part of a header, then nothing
  stall-body     complete headers for a 100000-byte JSON body, a few bytes of it, then nothing
  trickle        headers for a 1000000-byte JSON body, then one byte of body per second
  unavailable    503 with Retry-After: 3600 and a short body, keep-alive
  rate-limited   429 with Retry-After: 120 and a short body, keep-alive
  endless        200, chunked JSON {"a":"xxxx... sent as fast as the client reads
  huge-header    a status line then header lines without end
  html           200 text/html login page (a captive portal), keep-alive
  tls-stall      https: accepts TCP, reads the ClientHello, never answers
  tls-bad        https: completes TLS with a throwaway self-signed certificate and answers 200 (needs `openssl`;
                 left out with a note on stderr when it is missing)
  redirect-loop  302 to itself with a changing query, keep-alive

Only 127.0.0.1 is used. Every loop checks the shared stop flag at least every IO_TICK seconds and the process ends
with os._exit, so connections stuck in any state never delay exit.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"
PATH = "/.well-known/csaf/provider-metadata.json"
MAX_OPEN_PER_SERVER = 256
IO_TICK = 0.25  # longest any blocking call waits before re-checking the stop flag
MAX_HEAD_BYTES = 64 * 1024
TLS_HANDSHAKE_SECONDS = 30.0

KINDS = [
    "refuse", "reset", "blackhole", "silent", "stall-headers", "stall-body", "trickle", "unavailable",
    "rate-limited", "endless", "huge-header", "html", "tls-stall", "tls-bad", "redirect-loop",
]
HTTPS_KINDS = {"tls-stall", "tls-bad"}

STOP = threading.Event()
OUT_LOCK = threading.Lock()


class Stopping(Exception):
    """The process is shutting down; the connection handler unwinds."""


def log(message: str) -> None:
    try:
        print(f"hostile_servers: {message}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def emit(obj: dict) -> None:
    line = json.dumps(obj, separators=(", ", ": "))
    with OUT_LOCK:
        try:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        except (OSError, ValueError) as error:
            log(f"cannot write to stdout: {error}")


# --------------------------------------------------------------------------------------------------------------
# Statistics


class KindStats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections = 0
        self.open = 0
        self.max_open = 0
        self.longest_closed = 0.0
        self.requests = 0
        self.rejected = 0
        self.open_since: dict[int, float] = {}
        self.next_id = 0

    def opened(self) -> int:
        with self.lock:
            self.connections += 1
            self.open += 1
            self.max_open = max(self.max_open, self.open)
            self.next_id += 1
            self.open_since[self.next_id] = time.monotonic()
            return self.next_id

    def closed(self, conn_id: int) -> None:
        with self.lock:
            since = self.open_since.pop(conn_id, None)
            if since is None:
                return
            self.open -= 1
            self.longest_closed = max(self.longest_closed, time.monotonic() - since)

    def rejected_one(self) -> None:
        with self.lock:
            self.connections += 1
            self.rejected += 1

    def request(self) -> None:
        with self.lock:
            self.requests += 1

    def snapshot(self) -> dict:
        with self.lock:
            now = time.monotonic()
            longest = max([self.longest_closed] + [now - since for since in self.open_since.values()])
            return {
                "connections": self.connections,
                "open": self.open,
                "max_open": self.max_open,
                "longest_seconds": round(longest, 3),
                "requests": self.requests,
                "rejected": self.rejected,
            }


# --------------------------------------------------------------------------------------------------------------
# Socket helpers. Sockets run with a timeout of IO_TICK so that every wait re-checks STOP.


def check_stop() -> None:
    if STOP.is_set():
        raise Stopping()


def recv_some(sock: socket.socket) -> bytes:
    """Up to 64 KiB; b"" when the peer closed or the connection failed."""
    while True:
        check_stop()
        try:
            return sock.recv(65536)
        except (TimeoutError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            continue
        except (OSError, ssl.SSLError):
            return b""


def send_all(sock: socket.socket, data: bytes) -> bool:
    """Sends everything, as fast as the peer reads; False when the connection failed."""
    view = memoryview(data)
    while view:
        check_stop()
        try:
            sent = sock.send(view)
        except (TimeoutError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            continue
        except (OSError, ssl.SSLError):
            return False
        if sent <= 0:
            return False
        view = view[sent:]
    return True


def wait_closed(sock: socket.socket, seconds: float | None = None) -> bool:
    """Reads and discards whatever the peer sends until it closes (True) or `seconds` pass (False)."""
    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        check_stop()
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            sock.settimeout(min(IO_TICK, remaining))
        try:
            data = sock.recv(65536)
        except (TimeoutError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            continue
        except (OSError, ssl.SSLError):
            return True
        finally:
            if deadline is not None:
                sock.settimeout(IO_TICK)
        if not data:
            return True


def wait_closed_without_reading(sock: socket.socket) -> None:
    """Waits for the peer to close while leaving its bytes unread in the kernel (Linux: POLLRDHUP)."""
    rdhup = getattr(select, "POLLRDHUP", None)
    if rdhup is None or not hasattr(select, "poll"):
        wait_closed(sock)  # no way to see a FIN without reading on this platform
        return
    poller = select.poll()
    poller.register(sock.fileno(), rdhup | select.POLLHUP | select.POLLERR)
    while True:
        check_stop()
        if poller.poll(int(IO_TICK * 1000)):
            return


class Request:
    def __init__(self, method: str, target: str, version: str, headers: dict[str, str]) -> None:
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        if "close" in connection:
            return False
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return True


class Reader:
    """Reads HTTP request heads (and discards Content-Length bodies) from one connection."""

    def __init__(self, sock: socket.socket, stats: KindStats) -> None:
        self.sock = sock
        self.stats = stats
        self.buffer = b""

    def read_request(self) -> Request | None:
        """The next request head; None when the peer closed, the head is malformed or too long."""
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                break
            if len(self.buffer) > MAX_HEAD_BYTES:
                return None
            data = recv_some(self.sock)
            if not data:
                return None
            self.buffer += data
        head, self.buffer = self.buffer[:end], self.buffer[end + 4:]
        self.stats.request()
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            return None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        request = Request(parts[0], parts[1], parts[2], headers)
        if "transfer-encoding" in headers:
            return request  # answered, then the connection closes (see keep_alive_after)
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            return None
        while len(self.buffer) < length:
            data = recv_some(self.sock)
            if not data:
                return None
            self.buffer += data
        self.buffer = self.buffer[length:]
        return request


def response(status: str, headers: list[tuple[str, str]], body: bytes, request: Request | None) -> bytes:
    keep = request is not None and request.keep_alive and "transfer-encoding" not in request.headers
    lines = [f"HTTP/1.1 {status}", "Server: vigil-hostile", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append("Connection: keep-alive" if keep else "Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    if request is not None and request.method == "HEAD":
        return head
    return head + body


# --------------------------------------------------------------------------------------------------------------
# Behaviours. Each takes the accepted socket (already wrapped for tls-bad) and returns when the connection ends.


def answer_forever(sock, reader: Reader, make) -> None:
    """Keep-alive loop: `make(request)` gives the bytes of each answer."""
    while True:
        request = reader.read_request()
        if request is None:
            return
        if not send_all(sock, make(request)):
            return
        if not request.keep_alive or "transfer-encoding" in request.headers:
            return


def serve_blackhole(sock, server) -> None:
    wait_closed_without_reading(sock)


def serve_silent(sock, server) -> None:
    if Reader(sock, server.stats).read_request() is None:
        return
    wait_closed(sock)


def serve_stall_headers(sock, server) -> None:
    if Reader(sock, server.stats).read_request() is None:
        return
    if send_all(sock, b"HTTP/1.1 200 OK\r\nContent-Type: applica"):
        wait_closed(sock)


def serve_stall_body(sock, server) -> None:
    if Reader(sock, server.stats).read_request() is None:
        return
    head = (b"HTTP/1.1 200 OK\r\nServer: vigil-hostile\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n")
    if send_all(sock, head + b'{"document": {"category": "csaf_'):
        wait_closed(sock)


def serve_trickle(sock, server) -> None:
    if Reader(sock, server.stats).read_request() is None:
        return
    head = (b"HTTP/1.1 200 OK\r\nServer: vigil-hostile\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000\r\n\r\n")
    if not send_all(sock, head):
        return
    body = b'{"a":"'
    sent = 0
    while sent < 1_000_000:
        byte = body[sent:sent + 1] if sent < len(body) else b"x"
        if not send_all(sock, byte):
            return
        sent += 1
        if wait_closed(sock, 1.0):
            return


def serve_unavailable(sock, server) -> None:
    body = b"Service temporarily unavailable. Try again later.\n"
    answer_forever(sock, Reader(sock, server.stats), lambda request: response(
        "503 Service Unavailable", [("Retry-After", "3600"), ("Content-Type", "text/plain; charset=utf-8")],
        body, request))


def serve_rate_limited(sock, server) -> None:
    body = b"Too many requests. Slow down.\n"
    answer_forever(sock, Reader(sock, server.stats), lambda request: response(
        "429 Too Many Requests", [("Retry-After", "120"), ("Content-Type", "text/plain; charset=utf-8")],
        body, request))


ENDLESS_CHUNK = b"x" * 16384
ENDLESS_FRAME = f"{len(ENDLESS_CHUNK):x}\r\n".encode() + ENDLESS_CHUNK + b"\r\n"


def serve_endless(sock, server) -> None:
    if Reader(sock, server.stats).read_request() is None:
        return
    head = (b"HTTP/1.1 200 OK\r\nServer: vigil-hostile\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    first = b'{"a":"'
    if not send_all(sock, head + f"{len(first):x}\r\n".encode() + first + b"\r\n"):
        return
    while send_all(sock, ENDLESS_FRAME):
        pass


def serve_huge_header(sock, server) -> None:
    if Reader(sock, server.stats).read_request() is None:
        return
    if not send_all(sock, b"HTTP/1.1 200 OK\r\nServer: vigil-hostile\r\nContent-Type: application/json\r\n"):
        return
    filler = "y" * 100
    number = 0
    while True:
        block = "".join(f"X-Filler-{number + i}: {filler}\r\n" for i in range(100)).encode()
        number += 100
        if not send_all(sock, block):
            return


LOGIN_PAGE = b"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Guest Wi-Fi - Sign in</title></head>
<body>
<h1>Welcome to Guest Wi-Fi</h1>
<p>Please sign in to access the Internet.</p>
<form method="post" action="/login">
  <label>Username <input type="text" name="username"></label>
  <label>Password <input type="password" name="password"></label>
  <label><input type="checkbox" name="accept"> I accept the terms of use</label>
  <button type="submit">Sign in</button>
</form>
</body>
</html>
"""


def serve_html(sock, server) -> None:
    answer_forever(sock, Reader(sock, server.stats), lambda request: response(
        "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
        LOGIN_PAGE, request))


def serve_tls_stall(sock, server) -> None:
    hello = b""
    while len(hello) < 5 or len(hello) < 5 + struct.unpack("!H", hello[3:5])[0]:
        data = recv_some(sock)
        if not data:
            return
        hello += data
        if len(hello) > MAX_HEAD_BYTES:
            break
    wait_closed(sock)


def serve_tls_bad(sock, server) -> None:
    body = json.dumps({
        "canonical_url": f"https://127.0.0.1:{server.port}{PATH}",
        "list_on_CSAF_aggregators": False,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": False,
        "publisher": {"category": "vendor", "name": "Hostile Test", "namespace": "https://127.0.0.1"},
        "role": "csaf_provider",
    }).encode()
    answer_forever(sock, Reader(sock, server.stats), lambda request: response(
        "200 OK", [("Content-Type", "application/json")], body, request))


def serve_redirect_loop(sock, server) -> None:
    def make(request: Request) -> bytes:
        with server.lock:
            server.hops += 1
            hop = server.hops
        path = request.target.split("?", 1)[0]
        if not path.startswith("/"):
            path = PATH
        location = f"http://127.0.0.1:{server.port}{path}?hop={hop}"
        return response("302 Found", [("Location", location), ("Content-Type", "text/plain")],
                        f"Moved to {location}\n".encode(), request)
    answer_forever(sock, Reader(sock, server.stats), make)


HANDLERS = {
    "blackhole": serve_blackhole,
    "silent": serve_silent,
    "stall-headers": serve_stall_headers,
    "stall-body": serve_stall_body,
    "trickle": serve_trickle,
    "unavailable": serve_unavailable,
    "rate-limited": serve_rate_limited,
    "endless": serve_endless,
    "huge-header": serve_huge_header,
    "html": serve_html,
    "tls-stall": serve_tls_stall,
    "tls-bad": serve_tls_bad,
    "redirect-loop": serve_redirect_loop,
}


# --------------------------------------------------------------------------------------------------------------
# Servers


class Server:
    def __init__(self, kind: str, stats: KindStats, tls: ssl.SSLContext | None) -> None:
        self.kind = kind
        self.stats = stats
        self.tls = tls
        self.lock = threading.Lock()
        self.open = 0
        self.hops = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((HOST, 0))
        self.port = self.sock.getsockname()[1]
        if kind == "refuse":
            return  # bound, never listening: the port stays ours and connections to it are refused
        self.sock.listen(512)
        self.sock.settimeout(IO_TICK)
        threading.Thread(target=self.accept_loop, name=f"accept-{kind}-{self.port}", daemon=True).start()

    @property
    def url(self) -> str:
        scheme = "https" if self.kind in HTTPS_KINDS else "http"
        return f"{scheme}://{HOST}:{self.port}{PATH}"

    def accept_loop(self) -> None:
        while not STOP.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError as error:
                if STOP.is_set():
                    return
                log(f"{self.kind} :{self.port}: accept failed: {error}")
                time.sleep(IO_TICK)
                continue
            if self.kind == "reset":
                conn_id = self.stats.opened()
                abort(conn)
                self.stats.closed(conn_id)
                continue
            with self.lock:
                full = self.open >= MAX_OPEN_PER_SERVER
                if not full:
                    self.open += 1
            if full:
                self.stats.rejected_one()
                close_quietly(conn)
                continue
            conn_id = self.stats.opened()
            try:
                threading.Thread(target=self.handle, args=(conn, conn_id), daemon=True).start()
            except RuntimeError as error:  # no more threads
                log(f"{self.kind} :{self.port}: cannot start a thread: {error}")
                self.finish(conn, conn_id)

    def finish(self, conn: socket.socket, conn_id: int) -> None:
        close_quietly(conn)
        self.stats.closed(conn_id)
        with self.lock:
            self.open -= 1

    def handle(self, conn: socket.socket, conn_id: int) -> None:
        sock = conn
        try:
            conn.settimeout(IO_TICK)
            if self.tls is not None:
                wrapped = self.tls_handshake(conn)
                if wrapped is None:
                    return
                sock = wrapped
            HANDLERS[self.kind](sock, self)
        except Stopping:
            pass
        except Exception as error:  # a handler bug must not take the server down
            log(f"{self.kind} :{self.port}: {type(error).__name__}: {error}")
        finally:
            self.finish(sock, conn_id)

    def tls_handshake(self, conn: socket.socket):
        try:
            wrapped = self.tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        except (OSError, ssl.SSLError):
            return None
        deadline = time.monotonic() + TLS_HANDSHAKE_SECONDS
        while time.monotonic() < deadline:
            check_stop()
            try:
                wrapped.do_handshake()
                return wrapped
            except (TimeoutError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                continue
            except (OSError, ssl.SSLError):  # e.g. the client refused the certificate
                close_quietly(wrapped)
                return None
        close_quietly(wrapped)
        return None

    def close(self) -> None:
        close_quietly(self.sock)


def close_quietly(sock: socket.socket) -> None:
    try:
        sock.close()
    except OSError:
        pass


def abort(sock: socket.socket) -> None:
    """Closes with SO_LINGER 0: the peer gets a RST."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    close_quietly(sock)


def make_tls_context() -> ssl.SSLContext | None:
    """A server context with a throwaway self-signed certificate; None when openssl is missing or fails."""
    openssl = shutil.which("openssl")
    if openssl is None:
        log("openssl not found: leaving out tls-bad")
        return None
    directory = tempfile.mkdtemp(prefix="vigil-hostile-")
    try:
        key, cert = os.path.join(directory, "key.pem"), os.path.join(directory, "cert.pem")
        try:
            result = subprocess.run(
                [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                 "-keyout", key, "-out", cert],
                stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            log(f"openssl failed ({error}): leaving out tls-bad")
            return None
        if result.returncode != 0:
            log(f"openssl failed ({result.stderr.decode(errors='replace').strip()}): leaving out tls-bad")
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)  # read now, so the files can go at once
        return context
    except (OSError, ssl.SSLError) as error:
        log(f"cannot load the throwaway certificate ({error}): leaving out tls-bad")
        return None
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# --------------------------------------------------------------------------------------------------------------
# Main


def read_stdin(stats: dict[str, KindStats]) -> None:
    while not STOP.is_set():
        try:
            line = sys.stdin.readline()
        except (OSError, ValueError):
            line = ""
        if not line:
            STOP.set()  # EOF
            return
        command = line.strip().lower()
        if command == "stats":
            emit({"stats": {kind: value.snapshot() for kind, value in stats.items()}})
        elif command == "quit":
            STOP.set()
            return
        elif command:
            log(f"unknown command {command!r} (expected stats or quit)")


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Start misbehaving HTTP CSAF providers on 127.0.0.1 (see the module docstring).")
    parser.add_argument("--copies", type=int, default=1, help="servers per kind (default 1)")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="exit after this long (default 600)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds (default all): "
                        + ", ".join(KINDS))
    arguments = parser.parse_args(argv)
    kinds = [kind.strip() for kind in arguments.kinds.split(",") if kind.strip()]
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        parser.error(f"unknown kind(s): {', '.join(unknown)} (known: {', '.join(KINDS)})")  # exits 2
    if not kinds:
        parser.error("--kinds lists no kind")
    if arguments.copies < 1 or arguments.copies > 64:
        parser.error("--copies must be between 1 and 64")
    if not arguments.max_seconds > 0:
        parser.error("--max-seconds must be positive")
    arguments.kinds = list(dict.fromkeys(kinds))
    return arguments


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    deadline = time.monotonic() + arguments.max_seconds
    signal.signal(signal.SIGTERM, lambda *_: STOP.set())
    signal.signal(signal.SIGINT, lambda *_: STOP.set())
    threading.stack_size(512 * 1024)

    tls = make_tls_context() if "tls-bad" in arguments.kinds else None
    kinds = [kind for kind in arguments.kinds if kind != "tls-bad" or tls is not None]
    stats = {kind: KindStats() for kind in kinds}
    servers: list[Server] = []
    try:
        for kind in kinds:
            for _ in range(arguments.copies):
                servers.append(Server(kind, stats[kind], tls if kind == "tls-bad" else None))
    except OSError as error:
        log(f"cannot start the servers: {error}")
        return 1
    emit({"servers": [{"kind": server.kind, "url": server.url} for server in servers]})

    threading.Thread(target=read_stdin, args=(stats,), name="stdin", daemon=True).start()
    while not STOP.is_set() and time.monotonic() < deadline:
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
    STOP.set()
    for server in servers:
        server.close()
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(code)  # daemon threads stuck on connections must not delay the exit
