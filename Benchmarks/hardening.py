#!/usr/bin/env python3
"""Resource-exhaustion figures for a running `vigil serve` (issue 13, finding 3). Called by hardening.sh.

Loopback only, every loop bounded in count and time. Prints figures and targets (met / not met), and a last line of
JSON. It asserts nothing.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
import http.client
import json
import resource
import selectors
import socket
import statistics
import threading
import time

ADVISORY = "/advisories/ICSA-22-172-04"


def rss_mb(pid):
    """VmRSS and VmHWM (peak) of the server process, in MB."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, kb = line.split()[:2]
                values[name[:-1]] = int(kb) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def get(port, path, timeout=10):
    """One GET on a fresh connection: (status, seconds)."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        connection.close()


def open_socket(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.setblocking(False)
    return sock


def is_closed(sock):
    """True once the server has closed the connection (anything it sent is read and dropped)."""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def spread(values):
    return f"{min(values):.1f}-{max(values):.1f} s" if values else "-"


def slow_and_idle(port, header_timeout, idle_timeout, idle_count=100, slow_count=100, kept_count=50):
    """Idle sockets, slowloris (a header byte every 0.5 s) and kept-alive sockets after one request, while `/` is
    probed every 250 ms on fresh connections. Returns the figures."""
    get(port, "/")
    get(port, "/")
    now = time.monotonic()
    idle = [(open_socket(port), now) for _ in range(idle_count)]
    slow = []
    for _ in range(slow_count):
        sock = open_socket(port)
        slow.append([sock, time.monotonic(), b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 4000, 0])
    kept = []
    for _ in range(kept_count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = b""
        while b"\r\n\r\nok" not in answer:
            answer += sock.recv(4096)
        sock.setblocking(False)
        kept.append((sock, time.monotonic()))

    latencies, failures = [], 0
    stop = threading.Event()

    def probe():
        nonlocal failures
        while not stop.is_set():
            try:
                status, seconds = get(port, "/", timeout=5)
                if status == 200:
                    latencies.append(seconds)
                else:
                    failures += 1
            except OSError:
                failures += 1
            stop.wait(0.25)

    prober = threading.Thread(target=probe)
    prober.start()
    closed = {"idle": [], "slow": [], "kept": []}
    open_sets = {"idle": list(idle), "slow": slow, "kept": list(kept)}
    deadline = time.monotonic() + max(header_timeout, idle_timeout) + 15
    next_byte = time.monotonic()
    while time.monotonic() < deadline and any(open_sets.values()):
        now = time.monotonic()
        if now >= next_byte:
            next_byte = now + 0.5
            for entry in open_sets["slow"]:
                sock, _, head, sent = entry
                if sent < len(head):
                    try:
                        sock.send(head[sent:sent + 1])
                        entry[3] += 1
                    except OSError:
                        pass
        for kind in ("idle", "slow", "kept"):
            still = []
            for entry in open_sets[kind]:
                sock, started = entry[0], entry[1]
                if is_closed(sock):
                    closed[kind].append(time.monotonic() - started)
                    sock.close()
                else:
                    still.append(entry)
            open_sets[kind] = still
        time.sleep(0.05)
    stop.set()
    prober.join()
    for kind in open_sets:
        for entry in open_sets[kind]:
            entry[0].close()
    return {
        "idle_closed": len(closed["idle"]), "idle_count": idle_count, "idle_seconds": closed["idle"],
        "slow_closed": len(closed["slow"]), "slow_count": slow_count, "slow_seconds": closed["slow"],
        "kept_closed": len(closed["kept"]), "kept_count": kept_count, "kept_seconds": closed["kept"],
        "home_probes": len(latencies), "home_failures": failures,
        "home_median_ms": statistics.median(latencies) * 1000 if latencies else None,
        "home_max_ms": max(latencies) * 1000 if latencies else None,
    }


def many_paths(port, paths, threads=4):
    """GETs every path over a few kept-alive connections; returns (statuses, seconds)."""
    statuses = {}
    lock = threading.Lock()
    started = time.monotonic()

    def worker(chunk):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for path in chunk:
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = "error"
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
        connection.close()

    workers = [threading.Thread(target=worker, args=(paths[i::threads],)) for i in range(threads)]
    for worker_thread in workers:
        worker_thread.start()
    for worker_thread in workers:
        worker_thread.join()
    return statuses, time.monotonic() - started


def oversized_posts(port, pid, count=150, size=2 * 1024 * 1024, chunked=False, time_limit=60):
    """`count` unauthenticated POST /login at once, each with a `size` body (declared, or chunked), sent as fast as the
    server takes it. Returns the statuses, the peak RSS seen while they ran, and the seconds taken."""
    selector = selectors.DefaultSelector()
    chunk = b"a" * 65536
    states = []
    for _ in range(count):
        sock = open_socket(port)
        if chunked:
            head = b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
        else:
            head = (b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    b"Content-Length: %d\r\n\r\n" % size)
        state = {"sock": sock, "pending": head, "left": size, "answer": b"", "done": False}
        states.append(state)
        selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, state)
    started = time.monotonic()
    peak = 0.0
    while time.monotonic() - started < time_limit and not all(state["done"] for state in states):
        for key, events in selector.select(timeout=0.2):
            state = key.data
            sock = state["sock"]
            if events & selectors.EVENT_READ:
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                state["answer"] += data
                if not data:
                    state["done"] = True
                    selector.unregister(sock)
                    continue
            if events & selectors.EVENT_WRITE:
                if not state["pending"] and state["left"] > 0:
                    piece = min(state["left"], len(chunk))
                    state["left"] -= piece
                    state["pending"] = (b"%x\r\n%s\r\n" % (piece, chunk[:piece])) if chunked else chunk[:piece]
                    if chunked and state["left"] == 0:
                        state["pending"] += b"0\r\n\r\n"
                if state["pending"]:
                    try:
                        sent = sock.send(state["pending"])
                        state["pending"] = state["pending"][sent:]
                    except BlockingIOError:
                        pass
                    except OSError:
                        state["pending"], state["left"] = b"", 0
                if not state["pending"] and state["left"] == 0:
                    selector.modify(sock, selectors.EVENT_READ, state)
        peak = max(peak, rss_mb(pid)[0])
    statuses = {}
    for state in states:
        line = state["answer"].split(b"\r\n", 1)[0].split(b" ")
        status = line[1].decode() if len(line) > 1 else "closed without answer"
        statuses[status] = statuses.get(status, 0) + 1
        state["sock"].close()
    return statuses, peak, time.monotonic() - started


def held_bodies(port, pid, count=150, size=60 * 1024):
    """`count` unauthenticated POSTs that send `size` bytes of a chunked body (under the form limit) and stop: the most
    memory a client can hold with bodies. Returns the RSS while they are held."""
    socks = []
    body = b"%x\r\n%s\r\n" % (size, b"a" * size)
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n" + body)
        socks.append(sock)
    time.sleep(1)
    rss = rss_mb(pid)[0]
    for sock in socks:
        sock.close()
    return rss


def fd_limit(port, count=300):
    """`count` idle sockets against a server started with `ulimit -n 256`, then /healthz on a new connection."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 256), hard))
    socks = []
    refused = 0
    for _ in range(count):
        try:
            socks.append(open_socket(port))
        except OSError:
            refused += 1
    time.sleep(0.5)
    try:
        status, seconds = get(port, "/healthz", timeout=10)
    except OSError as error:
        status, seconds = f"error: {error}", None
    open_now = sum(1 for sock in socks if not is_closed(sock))
    for sock in socks:
        sock.close()
    return {"status": status, "seconds": seconds, "idle_open": open_now, "refused": refused}


def login_throttle(port, email, attempts=40):
    """`attempts` wrong passwords for one account at once, each on its own connection, with one form token: how many
    were answered 401 (each a password check) and how many 429 (refused before any check)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/login", headers={"Connection": "close"})
    response = connection.getresponse()
    page = response.read().decode("utf-8", "replace")
    cookie = ""
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("vigil_csrf="):
            cookie = value.split(";", 1)[0]
    connection.close()
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    token = match.group(1) if match else ""
    body = urllib.parse.urlencode({"csrf": token, "next": "/", "email": email, "password": "not the password"}).encode()
    statuses = []
    lock = threading.Lock()
    barrier = threading.Barrier(attempts)

    def attempt():
        try:
            barrier.wait(timeout=10)
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("POST", "/login", body=body, headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
                                                           "Connection": "close"})
            r = c.getresponse()
            r.read()
            c.close()
            with lock:
                statuses.append(r.status)
        except Exception as error:  # noqa: BLE001 - a failed attempt is a figure too
            with lock:
                statuses.append(repr(error)[:40])

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return {"401": statuses.count(401), "429": statuses.count(429), "other": [s for s in statuses if s not in (401, 429)]}


def schemathesis_run(port, max_examples=50):
    """Schemathesis against the served API (anonymous: the alerts operations answer 401): (cases, failures, summary)."""
    command = [sys.executable, "-m", "schemathesis.cli", "run", f"http://127.0.0.1:{port}/api/v1/openapi.json", "--checks", "all",
               "--max-examples", str(max_examples), "--seed", "20261206", "--request-timeout", "20"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tempfile.gettempdir(), env={**os.environ, "NO_COLOR": "1",
                                                                                          "http_proxy": "", "https_proxy": ""})
    except (FileNotFoundError, subprocess.TimeoutExpired) as error:
        return None, None, f"schemathesis did not run: {error}"
    text = done.stdout + done.stderr
    cases = re.search(r"(\d+) generated", text) or re.search(r"(\d[\d,]*) (?:test )?cases", text)
    failures = re.search(r"(\d+) failures?", text)
    summary = [line for line in text.splitlines() if line.strip()][-3:]
    return (int(cases.group(1).replace(",", "")) if cases else None,
            (int(failures.group(1)) if failures else (0 if done.returncode == 0 else None)), " / ".join(summary))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--header-timeout", type=float, required=True)
    parser.add_argument("--idle-timeout", type=float, required=True)
    parser.add_argument("--limited-port", type=int)
    parser.add_argument("--login-email", help="an account of the served store, for the sign-in throttle figure")
    args = parser.parse_args()
    port, pid = args.port, args.pid
    figures = {}
    marks = []

    def mark(name, met, text):
        marks.append(met)
        print(f"  target {name}: {text}: {'met' if met else 'not met'}")

    start_rss = rss_mb(pid)[0]
    print(f"server RSS at start: {start_rss:.0f} MB")

    print(f"\nslow and idle clients (header timeout {args.header_timeout:g} s, idle timeout {args.idle_timeout:g} s)")
    slow = slow_and_idle(port, args.header_timeout, args.idle_timeout)
    figures["slow_and_idle"] = {k: v for k, v in slow.items() if not k.endswith("_seconds")}
    print(f"  idle sockets (never send):     {slow['idle_closed']}/{slow['idle_count']} closed after {spread(slow['idle_seconds'])}")
    print(f"  slowloris (a byte every 0.5 s): {slow['slow_closed']}/{slow['slow_count']} closed after {spread(slow['slow_seconds'])}")
    print(f"  kept-alive after one request:  {slow['kept_closed']}/{slow['kept_count']} closed after {spread(slow['kept_seconds'])} (from the answer)")
    if slow["home_median_ms"] is not None:
        print(f"  / meanwhile: {slow['home_probes']} requests, median {slow['home_median_ms']:.1f} ms, max {slow['home_max_ms']:.1f} ms, {slow['home_failures']} failed")
    slack = 1.5
    mark("idle and slow closed within the header timeout",
         slow["idle_closed"] == slow["idle_count"] and slow["slow_closed"] == slow["slow_count"]
         and max(slow["idle_seconds"] + slow["slow_seconds"]) <= args.header_timeout + slack,
         f"max {max(slow['idle_seconds'] + slow['slow_seconds'] or [0]):.1f} s <= {args.header_timeout:g} s (+{slack} s)")
    mark("kept-alive closed within the idle timeout",
         slow["kept_closed"] == slow["kept_count"] and max(slow["kept_seconds"] or [1e9]) <= args.idle_timeout + slack,
         f"max {max(slow['kept_seconds'] or [0]):.1f} s <= {args.idle_timeout:g} s (+{slack} s)")
    mark("/ answers in under 100 ms meanwhile", slow["home_max_ms"] is not None and slow["home_max_ms"] < 100 and slow["home_failures"] == 0,
         f"max {slow['home_max_ms'] or 0:.1f} ms")

    print("\n2,048 requests for one advisory with distinct ?x=N")
    before = rss_mb(pid)[0]
    statuses, seconds = many_paths(port, [f"{ADVISORY}?x={n}" for n in range(2048)])
    after, peak = rss_mb(pid)
    figures["query_strings"] = {"statuses": statuses, "seconds": seconds, "rss_before_mb": before, "rss_after_mb": after}
    print(f"  {statuses} in {seconds:.1f} s; RSS {before:.0f} -> {after:.0f} MB")
    mark("RSS under 300 MB after 2,048 distinct query strings", after < 300, f"{after:.0f} MB")

    print("\n2,048 distinct list searches (/?q=wordN: each a real, cacheable page)")
    statuses, seconds = many_paths(port, [f"/?q=word{n}" for n in range(2048)])
    after = rss_mb(pid)[0]
    figures["distinct_searches"] = {"statuses": statuses, "seconds": seconds, "rss_after_mb": after}
    print(f"  {statuses} in {seconds:.1f} s; RSS {after:.0f} MB (the page cache holds at most its byte budget)")

    print("\n150 concurrent unauthenticated POST /login with 2 MB bodies")
    before = rss_mb(pid)[0]
    declared, declared_peak, declared_seconds = oversized_posts(port, pid)
    print(f"  Content-Length 2 MB: {declared} in {declared_seconds:.1f} s; RSS peak seen {declared_peak:.0f} MB")
    chunked, chunked_peak, chunked_seconds = oversized_posts(port, pid, chunked=True)
    print(f"  chunked 2 MB:        {chunked} in {chunked_seconds:.1f} s; RSS peak seen {chunked_peak:.0f} MB")
    held = held_bodies(port, pid)
    print(f"  150 bodies of 60 KiB held open (under the 64 KiB form limit): RSS {held:.0f} MB")
    time.sleep(1)
    after, hwm = rss_mb(pid)
    figures["posts"] = {"declared": declared, "chunked": chunked, "rss_before_mb": before, "rss_peak_mb": max(declared_peak, chunked_peak, held),
                        "rss_after_mb": after, "rss_high_water_mb": hwm}
    print(f"  RSS {before:.0f} -> {after:.0f} MB; process high-water mark {hwm:.0f} MB")
    mark("RSS under 300 MB during and after 150 oversized POSTs", max(declared_peak, chunked_peak, held, after) < 300,
         f"peak {max(declared_peak, chunked_peak, held, after):.0f} MB")

    if args.limited_port:
        print("\nulimit -n 256: 300 idle sockets, then /healthz on a new connection")
        limited = fd_limit(args.limited_port)
        figures["fd_limit"] = limited
        seconds = f"{limited['seconds'] * 1000:.1f} ms" if limited["seconds"] is not None else "-"
        print(f"  /healthz: {limited['status']} in {seconds}; idle sockets still open {limited['idle_open']}, refused {limited['refused']}")
        mark("/healthz answers with 300 idle sockets under ulimit -n 256", limited["status"] == 200, f"{limited['status']} in {seconds}")

    if args.login_email:
        print("\n40 wrong passwords for one account at once")
        throttle = login_throttle(port, args.login_email)
        figures["login_throttle"] = throttle
        print(f"  answered 401 (a password check each): {throttle['401']}; 429 (refused before any check): {throttle['429']}; other: {throttle['other']}")
        mark("at most 5 password checks per account per 15 minutes", throttle["401"] <= 5 and not throttle["other"], f"{throttle['401']} checks")

    print("\nSchemathesis against /api/v1/openapi.json (anonymous, --max-examples 50)")
    cases, failures, summary = schemathesis_run(port)
    figures["schemathesis"] = {"cases": cases, "failures": failures}
    print(f"  cases {cases}, failures {failures}: {summary}")
    mark("Schemathesis failures", failures == 0, f"{failures} failures in {cases} cases")

    print(f"\n{sum(marks)} of {len(marks)} targets met")
    print(json.dumps(figures, default=str))


if __name__ == "__main__":
    main()
