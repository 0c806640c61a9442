"""`surefix serve --tcp`: one client, the one holding the session's token, and nothing else.

Each test runs the real server on a free loopback port and talks to it through plain sockets,
the way anything on the machine could: a web page's HTTP POST, a client without the token, a
second editor.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from surefix.model.local.store import Outcome, Store

SERVE = [sys.executable, "-m", "surefix.server.cli", "serve", "--tcp"]
WAIT = 60.0  # generous: a hang fails the test instead of blocking it
KEPT = 3  # outcomes in the store before any client connects


@dataclass
class Tcp:
    """A running `surefix serve --tcp`: where it listens, its token, its stderr so far."""

    process: subprocess.Popen[bytes]
    address: tuple[str, int]
    token: str
    log: Path
    data_dir: Path

    def stderr(self) -> str:
        return self.log.read_text()


class Wire:
    """One connection, speaking LSP frames."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=WAIT)
        self.buffer = b""

    def send(self, data: bytes | dict[str, Any]) -> None:
        self.sock.sendall(frame(data) if isinstance(data, dict) else data)

    def receive(self) -> dict[str, Any] | None:
        """The next message, or None once the server has hung up."""
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill():
                return None
        header, _, rest = self.buffer.partition(b"\r\n\r\n")
        match = re.search(rb"Content-Length: (\d+)", header)
        assert match, header
        length = int(match[1])
        while len(rest) < length:
            self.buffer = header + b"\r\n\r\n" + rest
            if not self._fill():
                return None
            header, _, rest = self.buffer.partition(b"\r\n\r\n")
        self.buffer = rest[length:]
        message: dict[str, Any] = json.loads(rest[:length])
        return message

    def _fill(self) -> bool:
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        self.buffer += chunk
        return bool(chunk)

    def answer(self, msg_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The response to request `msg_id`, and the messages the server sent before it."""
        before = []
        while (message := self.receive()) is not None:
            if message.get("id") == msg_id and "method" not in message:
                return message, before
            before.append(message)
        raise AssertionError(f"the server hung up before answering {msg_id}: {before}")

    def refusal(self) -> dict[str, Any]:
        """The server's one error, after which it has closed the connection."""
        error = self.receive()
        assert error is not None and "error" in error, error
        assert self.receive() is None
        return error

    def close(self) -> None:
        self.sock.close()


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def initialize(options: Any = None, msg_id: int = 1) -> dict[str, Any]:
    params: dict[str, Any] = {"processId": None, "rootUri": None, "capabilities": {}}
    if options is not None:
        params["initializationOptions"] = options
    return {"jsonrpc": "2.0", "id": msg_id, "method": "initialize", "params": params}


def command(name: str, msg_id: int = 2) -> dict[str, Any]:
    params = {"command": name, "arguments": []}
    return {"jsonrpc": "2.0", "id": msg_id, "method": "workspace/executeCommand", "params": params}


def kept_outcomes(data_dir: Path) -> int:
    store = Store.at(data_dir)
    try:
        return int(store.stats()["events"])
    finally:
        store.close()


@contextmanager
def serving(tmp: Path, address: str = "127.0.0.1:0", token: str | None = None) -> Iterator[Tcp]:
    """The server, its data directory holding `KEPT` outcomes, once it has said where it
    listens and what its token is (`token`, when the test chooses it as an editor would)."""
    data_dir = tmp / "data"
    store = Store.at(data_dir)
    store.record_many(
        Outcome("F401", "accepted", "command", "auto-apply", "safe", {"n_edits": 1.0}, 0.9)
        for _ in range(KEPT)
    )
    store.close()
    log = tmp / "stderr.txt"
    env = {**os.environ, "SUREFIX_DATA_DIR": str(data_dir)}
    env.pop("SUREFIX_TOKEN", None)
    if token is not None:
        env["SUREFIX_TOKEN"] = token
    with log.open("wb") as err:
        process = subprocess.Popen([*SERVE, address], stderr=err, env=env)
    try:
        yield started(process, log, data_dir, token)
    finally:
        process.kill()
        process.wait()


def started(process: subprocess.Popen[bytes], log: Path, data_dir: Path, chosen: str | None) -> Tcp:
    deadline = time.monotonic() + WAIT
    while True:
        text = log.read_text()
        where = re.search(r"serving LSP on (\S+):(\d+)", text)
        token = re.search(r"token: (.+?) \(send", text)
        if where and token:
            return Tcp(process, (where[1], int(where[2])), chosen or token[1], log, data_dir)
        assert process.poll() is None and time.monotonic() < deadline, text
        time.sleep(0.05)


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tcp]:
    """One server for the refusals: none of them opens its session."""
    with serving(tmp_path_factory.mktemp("gate")) as tcp:
        yield tcp


@pytest.fixture
def tcp(tmp_path: Path) -> Iterator[Tcp]:
    with serving(tmp_path) as tcp:
        yield tcp


def test_an_http_post_from_a_web_page_is_refused_and_runs_nothing(tcp: Tcp) -> None:
    """What a page's fetch("http://127.0.0.1:PORT", {method: "POST", body}) sends: an LSP
    session in the body, with an HTTP request line and headers around it."""
    body = frame(initialize()) + frame(command("surefix.dataPurge"))
    post = Wire(tcp.address)
    post.send(
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    assert "an HTTP request, not an LSP frame" in post.refusal()["error"]["message"]
    assert kept_outcomes(tcp.data_dir) == KEPT
    wire = Wire(tcp.address)  # the session is still there for the client with the token
    wire.send(initialize({"token": tcp.token}))
    wire.answer(1)
    wire.send(command("surefix.dataStats"))
    assert wire.answer(2)[0]["result"]["events"] == KEPT


@pytest.mark.parametrize(
    "first",
    [
        pytest.param(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", id="http-get"),
        pytest.param(b'{"jsonrpc": "2.0", "id": 1, "method": "initialize"}\r\n', id="no-header"),
        pytest.param(b"Content-Type: application/json\r\n\r\n{}", id="no-length"),
        pytest.param(b"Content-Length: 999999999\r\n\r\n", id="too-long"),
        pytest.param(b"Content-Length: 2\r\n\r\n[]", id="not-json-rpc"),
    ],
)
def test_anything_but_an_lsp_frame_is_refused(gate: Tcp, first: bytes) -> None:
    wire = Wire(gate.address)
    wire.send(first)
    error = wire.refusal()
    assert error["id"] is None and error["error"]["code"] == -32600


@pytest.mark.parametrize(
    "options",
    [
        pytest.param(None, id="no-options"),
        pytest.param({"surefix": {"ruffPath": "/bin/false"}}, id="settings-only"),
        pytest.param({"token": "not-this-sessions-token-at-all"}, id="wrong-token"),
        pytest.param({"token": 12}, id="not-a-string"),
    ],
)
def test_initialize_without_the_sessions_token_is_refused(gate: Tcp, options: Any) -> None:
    wire = Wire(gate.address)
    wire.send(initialize(options))
    error = wire.refusal()
    assert error["id"] == 1 and error["error"]["code"] == -32600
    assert "initializationOptions.token" in error["error"]["message"]


def test_a_command_before_initialize_is_refused(gate: Tcp) -> None:
    wire = Wire(gate.address)
    wire.send(command("surefix.dataPurge"))
    assert wire.refusal()["error"]["code"] == -32002  # ServerNotInitialized


def test_the_token_opens_a_session(tcp: Tcp) -> None:
    wire = Wire(tcp.address)
    wire.send(initialize({"token": tcp.token}))  # flat, as a client that sends no settings
    result, before = wire.answer(1)
    capabilities = result["result"]["capabilities"]
    assert result["result"]["serverInfo"]["name"] == "surefix"
    assert "surefix.dataPurge" in capabilities["executeCommandProvider"]["commands"]
    assert not [m for m in before if "token" in json.dumps(m.get("params", {}))]
    wire.send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
    wire.answer(2)
    wire.send({"jsonrpc": "2.0", "method": "exit"})
    assert tcp.process.wait(WAIT) == 0


def test_a_second_connection_is_refused_while_the_first_is_open(tcp: Tcp) -> None:
    first = Wire(tcp.address)
    first.send(initialize({"token": tcp.token}))
    first.answer(1)
    second = Wire(tcp.address)
    second.send(initialize({"token": tcp.token}))
    assert "another client is connected" in second.refusal()["error"]["message"]
    first.send(command("surefix.dataStats"))  # the first still has the server's output
    assert first.answer(2)[0]["result"]["events"] == KEPT
    first.close()
    assert tcp.process.wait(WAIT) == 0  # one session: when its client leaves, the server ends


def test_an_editor_that_starts_the_server_can_choose_the_token(tmp_path: Path) -> None:
    chosen = "chosen-by-the-editor-0123456789"
    with serving(tmp_path, token=chosen) as tcp:
        assert chosen not in tcp.stderr() and "the one in SUREFIX_TOKEN" in tcp.stderr()
        wire = Wire(tcp.address)
        wire.send(initialize({"token": chosen, "surefix": {}}))
        assert "capabilities" in wire.answer(1)[0]["result"]


def test_a_chosen_token_too_short_to_be_secret_is_one_clear_error() -> None:
    env = {**os.environ, "SUREFIX_TOKEN": "1234"}
    result = subprocess.run(
        [*SERVE, "127.0.0.1:0"], capture_output=True, text=True, timeout=WAIT, env=env
    )
    assert result.returncode == 2 and "SUREFIX_TOKEN is too short" in result.stderr


def test_a_port_beyond_loopback_says_what_it_exposes(tmp_path: Path) -> None:
    with serving(tmp_path, "0.0.0.0:0") as tcp:
        text = tcp.stderr()
    assert "WARNING: 0.0.0.0:" in text and "not a loopback address" in text
    assert "surefix.ruffPath" in text and "purge" in text


def test_a_malformed_address_is_one_clear_error() -> None:
    result = subprocess.run([*SERVE, "localhost"], capture_output=True, text=True, timeout=WAIT)
    assert result.returncode == 2 and "expected HOST:PORT or :PORT" in result.stderr
