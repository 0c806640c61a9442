"""`surefix serve --tcp`: the language server on a TCP port, for one client holding a secret.

Anything that can reach a port can write to it — any web page can POST to localhost — and this
server deletes outcome data and runs the program `surefix.ruffPath` names when a client asks. So
a session has a token, printed when the server starts or taken from `SUREFIX_TOKEN`, and the
connection's first frame must be an LSP-framed `initialize` request whose
`initializationOptions.token` is that token. Anything else — an HTTP request, a frame without a
valid `Content-Length`, another method, a missing or wrong token — is answered with an error
where it is a JSON-RPC frame and the connection is closed: pygls never sees a byte of it. Once a
client is in, every other connection is refused, so none can take over the server's output, and
when that client leaves, the server exits.

Try it: `surefix serve --tcp 127.0.0.1:2087`, then connect a client that sends the printed token
as `initializationOptions.token` (the Neovim plugin's `token` option does).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import json
import logging
import os
import re
import secrets
import sys
import threading
from collections.abc import Mapping
from typing import Any

from surefix.server.lsp.protocol import read_frames
from surefix.server.lsp.server import SurefixServer

TOKEN_ENV = "SUREFIX_TOKEN"
TOKEN_OPTION = "token"
MIN_TOKEN = 16  # a chosen token must not be guessable one connection at a time
FIRST_FRAME_WAIT_S = 10.0  # a client sends `initialize` at once; a silent socket is let go
MAX_FIRST_FRAME = 1 << 20  # an editor's initialize is tens of kilobytes
MAX_HEADERS = 4
LINGER_S = 2.0  # how long a refused peer may keep sending before it is cut off

# JSON-RPC and LSP error codes the refusals answer with.
INVALID_REQUEST = -32600
SERVER_NOT_INITIALIZED = -32002

_HEADER = re.compile(rb"^(?P<name>Content-Length|Content-Type): (?P<value>[^\r\n]*)\r\n$", re.I)
_HTTP = re.compile(rb"^[A-Z]+ \S+ HTTP/\d")

logger = logging.getLogger(__name__)


class Refused(Exception):
    """The first frame did not open this session; `id` is its request id when it had one."""

    def __init__(self, reason: str, code: int = INVALID_REQUEST, msg_id: Any = None) -> None:
        super().__init__(reason)
        self.code = code
        self.id = msg_id


def session_token(environ: Mapping[str, str] = os.environ) -> tuple[str, bool]:
    """The token for this session and whether it was given: an editor that starts the server
    chooses it in `SUREFIX_TOKEN`; otherwise a fresh one is drawn, to be printed. A given one
    too short to be a secret is refused (`ValueError`: one `surefix: error:` line)."""
    given = environ.get(TOKEN_ENV, "")
    if not given:
        return secrets.token_urlsafe(32), False
    if len(given) < MIN_TOKEN:
        raise ValueError(
            f"{TOKEN_ENV} is too short to be a secret: give at least {MIN_TOKEN} characters, "
            "e.g. python -c 'import secrets; print(secrets.token_urlsafe())'"
        )
    return given, True


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    """The body of one LSP frame, read strictly: only `Content-Length` and `Content-Type`
    header lines, each ending in CRLF, then an empty line. pygls's own reader skips lines it
    does not know, which is how an HTTP request's body reached a command handler."""
    length: int | None = None
    for _ in range(MAX_HEADERS + 1):
        try:
            line = await reader.readuntil(b"\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError) as exc:
            raise Refused("the connection ended inside the header") from exc
        if line == b"\r\n":
            break
        if _HTTP.match(line):
            raise Refused("an HTTP request, not an LSP frame")
        header = _HEADER.match(line)
        if header is None:
            raise Refused("not an LSP frame (expected a Content-Length header)")
        if header["name"].lower() == b"content-length":
            value = header["value"].strip()
            if not value.isdigit() or not 0 < int(value) <= MAX_FIRST_FRAME:
                raise Refused(f"a Content-Length out of range ({value[:20]!r})")
            length = int(value)
    else:
        raise Refused("too many header lines")
    if length is None:
        raise Refused("a frame without Content-Length")
    try:
        return await reader.readexactly(length)
    except (asyncio.IncompleteReadError, OSError) as exc:
        raise Refused("the connection ended inside the frame") from exc


def admit(body: bytes, token: str) -> dict[str, Any]:
    """The first message if it is `initialize` carrying the session's token, which is removed
    so the server reads only its settings from the options (and never logs the token)."""
    try:
        message = json.loads(body)
    except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, nested too deep
        raise Refused("a frame that is not JSON") from exc
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        raise Refused("a frame that is not a JSON-RPC 2.0 message")
    msg_id = message.get("id")
    if message.get("method") != "initialize" or not isinstance(msg_id, int | str):
        raise Refused("the first message must be the initialize request", SERVER_NOT_INITIALIZED)
    params = message.get("params")
    options = params.get("initializationOptions") if isinstance(params, dict) else None
    given = options.pop(TOKEN_OPTION, None) if isinstance(options, dict) else None
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), token.encode()):
        raise Refused(
            f"initialize without this session's token in initializationOptions.{TOKEN_OPTION}",
            msg_id=msg_id,
        )
    return message


class Session:
    """The one client this server serves: the first to present the token."""

    def __init__(self, server: SurefixServer, token: str) -> None:
        self.server = server
        self.token = token
        self.claimed = False
        self.finished = asyncio.Event()

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        try:
            if self.claimed:
                raise Refused("another client is connected to this server")
            body = await asyncio.wait_for(read_frame(reader), FIRST_FRAME_WAIT_S)
            message = admit(body, self.token)
            if self.claimed:  # another connection presented the token while this one was read
                raise Refused("another client is connected to this server", msg_id=message["id"])
        except Refused as refused:
            say(f"refused a connection from {_address(peer)}: {refused}")
            await _refuse(reader, writer, refused)
            return
        except TimeoutError:
            writer.close()
            say(f"refused a connection from {_address(peer)}: nothing sent")
            return
        self.claimed = True
        say(f"client connected from {_address(peer)}")
        try:
            await self._serve(message, reader, writer)
        except SystemExit:  # pygls answers `exit` so; here it ends the session, as EOF does
            pass
        finally:
            writer.close()
            self.finished.set()
            say(f"client {_address(peer)} left; the server stops")

    async def _serve(
        self, message: dict[str, Any], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """The stdio loop's reader from here on, after the `initialize` the gate has read."""
        protocol = self.server.protocol
        protocol.set_writer(writer)
        protocol.receive(json.dumps(message).encode())
        await read_frames(reader, protocol, threading.Event())


async def _refuse(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, refused: Refused
) -> None:
    """Say why in a JSON-RPC error (id null when the request had none), then hang up. What
    the peer sent beyond the frame is read and dropped first, briefly: closing a socket with
    unread input resets the connection, and the reset can overtake the error."""
    error = {"code": refused.code, "message": f"surefix: refused: {refused}"}
    body = json.dumps({"jsonrpc": "2.0", "id": refused.id, "error": error}).encode()
    try:
        writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        writer.write_eof()
        async with asyncio.timeout(LINGER_S):
            while await reader.read(1 << 16):
                pass
    except (TimeoutError, OSError):
        pass
    finally:
        writer.close()


async def serve(server: SurefixServer, host: str, port: int, token: str, given: bool) -> None:
    """Listen until the one session has ended."""
    session = Session(server, token)
    listener = await asyncio.start_server(session.connection, host, port)
    for sock in listener.sockets:
        address = sock.getsockname()
        say(f"serving LSP on {_address(address)} for one client")
        if not _is_loopback(address[0]):
            say(exposed_warning(_address(address)))
    say(
        f"token: {'the one in ' + TOKEN_ENV if given else token} "
        f"(send it as initializationOptions.{TOKEN_OPTION} in initialize)"
    )
    try:
        await session.finished.wait()
    finally:
        listener.close()
        server.shutdown()


def start(server: SurefixServer, host: str, port: int) -> None:
    """`surefix serve --tcp HOST:PORT`: one session, then the process ends."""
    token, given = session_token()
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends a debugging session quietly
        asyncio.run(serve(server, host, port, token, given))


def exposed_warning(address: str) -> str:
    """What a port beyond loopback offers to whoever reaches it."""
    return (
        f"WARNING: {address} is not a loopback address. Whoever can reach it and holds the "
        "token can run this server's commands as you: read, export and purge your outcome "
        "data, retrain and reset the model, and set surefix.ruffPath, the program the server "
        "runs. The token, your code and everything else travel unencrypted. Prefer a loopback "
        "port, reached from elsewhere through an SSH tunnel."
    )


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _address(address: Any) -> str:
    if not isinstance(address, tuple) or len(address) < 2:
        return str(address)
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def say(message: str) -> None:
    """stderr: stdout carries nothing in TCP mode, and an editor's log shows stderr."""
    print(f"surefix: {message}", file=sys.stderr, flush=True)
