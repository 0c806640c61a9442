"""`surefix serve --tcp`: the same server on a loopback port, for debugging."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_over_tcp_answers_initialize() -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "surefix.server.cli", "serve", "--tcp", f":{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=60)
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.1)
        body = json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
        ).encode()
        conn.sendall(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        reply = b""
        while b"serverInfo" not in reply or not reply.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)
            assert chunk, reply
            reply += chunk
        payload = json.loads(reply.split(b"\r\n\r\n", 1)[1])
        assert payload["id"] == 1 and payload["result"]["serverInfo"]["name"] == "surefix"
        conn.close()
    finally:
        server.kill()
        server.wait()


def test_a_malformed_address_is_one_clear_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "surefix.server.cli", "serve", "--tcp", "localhost"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "expected HOST:PORT or :PORT" in result.stderr
