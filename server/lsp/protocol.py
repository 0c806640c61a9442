"""The wire, as the specification says: frames, lifecycle, and an answer for every request.

pygls reads frames of any size (`Content-Length: 1000000000000` ends in MemoryError), drops a
request whose params do not parse (the client waits forever), serves requests before
`initialize` and is silent after `shutdown`. Here every frame is read with a size limit, every
message is parsed before it is dispatched, and a request that cannot be served gets an error at
once: -32700 for bytes that are not JSON, -32600 for JSON that is not a request, -32602 naming
the field that is wrong, -32002 before `initialize`, -32600 after `shutdown`.

Text synchronisation is ours too (`Texts`): pygls re-splits lines with `str.splitlines`, which
breaks at form feeds and U+2028 where the editor does not, and the copies would drift. So is
notebook synchronisation (`Notebooks`), for the same reason and so that no second copy of every
cell is kept in pygls' workspace.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Protocol

import cattrs
from lsprotocol import types as t
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
    JsonRpcServerNotInitialized,
)
from pygls.protocol import LanguageServerProtocol, lsp_method

if TYPE_CHECKING:
    from surefix.server.lsp.notebooks import Notebooks
    from surefix.server.lsp.texts import Texts

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 256 * 1024 * 1024  # a 2 MB file is ~5 MB of JSON; nothing real comes near
_CHUNK = 1 << 20


class Reader(Protocol):
    def readline(self) -> Any: ...  # awaitable bytes
    def readexactly(self, n: int) -> Any: ...


class Encoded(list[Any]):
    """A result already in its JSON shape (dicts, lists, strings, numbers): sent as it is.

    A file's quick fixes are built once per version, but pygls would pass every one through
    cattrs again on every request — for a hundred actions that costs more than answering.
    `code_actions.encoded` keeps each action's JSON beside it; the response is one `json.dumps`."""


class SurefixProtocol(LanguageServerProtocol):
    """pygls' language server protocol with the lifecycle and parsing rules enforced."""

    texts: Texts  # set by the server before any message is read
    notebooks: Notebooks  # likewise

    def __init__(self, server: Any, converter: Any) -> None:
        super().__init__(server, converter)
        self._initialize_seen = False

    # -- messages -------------------------------------------------------------------------

    def unstructure(self, value: Any) -> Any:
        """`value` in its JSON shape, as pygls would send it."""
        return self._converter.unstructure(value)

    def _send_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        if error is None and isinstance(result, Encoded):
            self._result_types.pop(msg_id, None)
            self._send_data({"jsonrpc": "2.0", "id": msg_id, "result": list(result)})
            return
        super()._send_response(msg_id, result, error)

    def receive(self, body: bytes) -> None:
        """Parse one frame's body and dispatch it, or answer why it cannot be."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            self._refuse(None, JsonRpcParseError(f"Parse error: the message is not JSON ({exc})"))
            return
        raw_id = data.get("id") if isinstance(data, dict) else None
        msg_id = raw_id if isinstance(raw_id, (int, str)) and not isinstance(raw_id, bool) else None
        if not isinstance(data, dict) or data.get("jsonrpc") != "2.0":
            self._refuse(msg_id, JsonRpcInvalidRequest("Invalid Request: not JSON-RPC 2.0"))
            return
        if "method" in data and not isinstance(data["method"], str):
            self._refuse(msg_id, JsonRpcInvalidRequest("Invalid Request: `method` is not a string"))
            return
        try:
            message = self.structure_message(data)
        except JsonRpcException as exc:
            detail = _field_errors(exc.__cause__) or exc.message
            method = data.get("method", "")
            if "id" in data and "method" in data:
                self._refuse(msg_id, JsonRpcInvalidParams(f"Invalid params for {method}: {detail}"))
            elif msg_id is not None and (waiting := self._request_futures.pop(msg_id, None)):
                # an answer to our own request that is not what the method returns: whoever
                # waits for it learns that, instead of waiting forever
                waiting.set_exception(JsonRpcInvalidParams(f"the client's answer: {detail}"))
            else:
                self._tell(f"surefix ignored a {method or 'message'} it could not read: {detail}")
            return
        self.handle_message(message)

    def handle_message(self, message: Any) -> None:
        method = getattr(message, "method", None)
        is_request = method is not None and hasattr(message, "id")
        if method == t.EXIT:
            super().handle_message(message)
        elif self._shutdown:
            if is_request:
                self._refuse(message.id, JsonRpcInvalidRequest("the server is shut down"))
        elif method == t.INITIALIZE:
            if self._initialize_seen:
                self._refuse(message.id, JsonRpcInvalidRequest("initialize was already sent"))
                return
            self._initialize_seen = True
            super().handle_message(message)
        elif method is not None and not self._initialize_seen:
            if is_request:
                self._refuse(message.id, JsonRpcServerNotInitialized("send initialize first"))
        else:
            super().handle_message(message)

    def refuse_frame(self, why: str) -> None:
        """A frame that could not be read at all: no id to answer, so the user is told."""
        self._tell(f"surefix ignored a message: {why}")

    def _refuse(self, msg_id: Any, error: JsonRpcException) -> None:
        logger.warning("refused message %r: %s", msg_id, error.message)
        self._send_response(msg_id, None, error.to_response_error())

    def _tell(self, message: str) -> None:
        logger.warning(message)
        if self._initialize_seen and not self._shutdown:
            self.notify(
                t.WINDOW_LOG_MESSAGE,
                t.LogMessageParams(type=t.MessageType.Error, message=message),
            )

    # -- text synchronisation -------------------------------------------------------------

    @lsp_method(t.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(
        self, params: t.DidOpenTextDocumentParams
    ) -> Generator[Any, Any, None]:
        self.texts.open(params.text_document)
        if (handler := self.fm.features.get(t.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(t.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: t.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        doc = params.text_document
        encoding = self.workspace.position_encoding
        if self.texts.change(doc.uri, doc.version, params.content_changes, encoding) is None:
            return  # a change to a document that is not open: nothing to apply it to
        if (handler := self.fm.features.get(t.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(t.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(
        self, params: t.DidCloseTextDocumentParams
    ) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(t.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None

    # -- notebook synchronisation ---------------------------------------------------------

    @lsp_method(t.NOTEBOOK_DOCUMENT_DID_OPEN)
    def lsp_notebook_document__did_open(
        self, params: t.DidOpenNotebookDocumentParams
    ) -> Generator[Any, Any, None]:
        self.notebooks.open(params)
        if (handler := self.fm.features.get(t.NOTEBOOK_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(t.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def lsp_notebook_document__did_change(
        self, params: t.DidChangeNotebookDocumentParams
    ) -> Generator[Any, Any, None]:
        if self.notebooks.change(params, self.workspace.position_encoding) is None:
            return  # a change to a notebook that is not open: nothing to apply it to
        if (handler := self.fm.features.get(t.NOTEBOOK_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(t.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def lsp_notebook_document__did_close(
        self, params: t.DidCloseNotebookDocumentParams
    ) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(t.NOTEBOOK_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


def _field_errors(cause: BaseException | None) -> str:
    """cattrs' account of what is wrong, by field path (`expected int @ $.params.position.line`)."""
    if isinstance(cause, (cattrs.ClassValidationError, cattrs.IterableValidationError)):
        return "; ".join(cattrs.transform_error(cause, path="$"))
    return str(cause) if cause is not None else ""


async def read_frames(
    reader: Reader,
    protocol: SurefixProtocol,
    stop: threading.Event,
    limit: int = MAX_FRAME_BYTES,
) -> None:
    """Read `Content-Length` frames until the stream ends, each handed to `protocol.receive`.

    A frame above `limit` is read past in chunks and refused, so a hostile or broken length
    never allocates its size; a header block without a length is refused and skipped.
    """
    while not stop.is_set():
        length: int | None = None
        while True:
            header = await reader.readline()
            if not header:
                return  # end of stream
            if not header.strip():
                break
            name, _, value = header.decode("ascii", "replace").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip()) if value.strip().isdigit() else -1
        if length is None or length < 0:
            protocol.refuse_frame("a message without a valid Content-Length header")
            continue
        if length > limit:
            protocol.refuse_frame(f"a message of {length:,} bytes, above the {limit:,}-byte limit")
            if not await _skip(reader, length):
                return
            continue
        try:
            body = await reader.readexactly(length)
        except asyncio.IncompleteReadError:
            return
        if len(body) < length:
            return
        try:
            protocol.receive(body)
        except Exception:  # a bug of ours in dispatch must not end the session
            logger.exception("failed to handle a message")


async def _skip(reader: Reader, length: int) -> bool:
    """Read `length` bytes and drop them; False if the stream ended first."""
    while length > 0:
        try:
            chunk = await reader.readexactly(min(length, _CHUNK))
        except asyncio.IncompleteReadError:
            return False
        if not chunk:
            return False
        length -= len(chunk)
    return True
