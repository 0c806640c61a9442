"""A client that speaks raw JSON-RPC frames to the real server, for what no well-behaved client
sends: requests before `initialize`, malformed params, broken frames."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

SERVER = [sys.executable, "-m", "surefix.server.cli", "serve"]

ANSWER_WAIT_S = 30.0  # a hang fails the test; the answers themselves come at once


class Wire:
    """One `surefix serve` process on stdio, its messages read on a thread."""

    def __init__(
        self,
        data_dir: Path,
        command: Sequence[str] = SERVER,
        answers: dict[str, Any] | None = None,
    ) -> None:
        """`answers`: the result to give each request the server sends (by method) at once, as
        an editor does; others wait for the test."""
        env = {**os.environ, "SUREFIX_DATA_DIR": str(data_dir), "XDG_DATA_HOME": str(data_dir)}
        self.process = subprocess.Popen(
            list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env,
        )  # fmt: skip
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self._next_id = 0
        self._answers = answers or {}
        self._writing = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.process.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if not line.strip():
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            assert length is not None
            message = json.loads(out.read(length))
            if "id" in message and message.get("method") in self._answers:
                result = self._answers[message["method"]]
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": result})
            self.received.put(message)

    def send_raw(self, data: bytes) -> None:
        assert self.process.stdin is not None
        with self._writing:
            self.process.stdin.write(data)
            self.process.stdin.flush()

    def send(self, message: dict[str, Any] | list[Any] | str) -> None:
        body = (message if isinstance(message, str) else json.dumps(message)).encode()
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def request(self, method: str, params: Any = None) -> dict[str, Any]:
        """Send a request and wait for the response to it (its `result` or `error`)."""
        return self.answer(self.ask(method, params))

    def ask(self, method: str, params: Any = None) -> int:
        """Send a request; its id, for `answer`."""
        self._next_id += 1
        self.send({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        return self._next_id

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def answer(self, msg_id: Any, wait: float = ANSWER_WAIT_S) -> dict[str, Any]:
        """The response with `msg_id` (None: an error for a message that had no usable id)."""
        return self.first(lambda m: "method" not in m and m.get("id") == msg_id, wait)

    def logged(self, text: str) -> str:
        """The first `window/logMessage` or `window/showMessage` containing `text`."""

        def shown(message: dict[str, Any]) -> bool:
            said = message.get("method") in ("window/logMessage", "window/showMessage")
            return said and text in message["params"]["message"]

        return str(self.first(shown)["params"]["message"])

    def first(
        self, wanted: Callable[[dict[str, Any]], bool], wait: float = ANSWER_WAIT_S
    ) -> dict[str, Any]:
        """The first message received that is `wanted`, taken from those kept; `queue.Empty`
        after `wait` seconds without one."""
        deadline = time.monotonic() + wait
        while True:
            for message in self.seen:
                if wanted(message):
                    self.seen.remove(message)
                    return message
            self.seen.append(self.received.get(timeout=max(0.0, deadline - time.monotonic())))

    def initialize(self, root: Path) -> dict[str, Any]:
        answer = self.request(
            "initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}
        )
        self.notify("initialized", {})
        return answer

    def close(self) -> int:
        """End the session as a client that goes away does; the exit code."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            return self.process.wait(timeout=ANSWER_WAIT_S)
        finally:
            if self.process.poll() is None:
                self.process.kill()
