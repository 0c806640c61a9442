"""`surefix serve`: the language server on stdio, or on a TCP port for one client that holds
the session's token (`surefix.server.lsp.tcp`)."""

from __future__ import annotations

import argparse
import re
from typing import Any

_ADDRESS = re.compile(r"^(?P<host>[^:]*|\[[0-9a-fA-F:]+\]):(?P<port>[0-9]{1,5})$")


def register(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument(
        "--tcp",
        metavar="HOST:PORT",
        type=_address,
        help=(
            "serve one client over TCP instead of stdio; it must send the printed token (or "
            "SUREFIX_TOKEN) as initializationOptions.token. HOST defaults to 127.0.0.1; "
            "PORT 0 picks a free port"
        ),
    )
    serve.set_defaults(handler=run_serve)


def _address(text: str) -> str:
    match = _ADDRESS.match(text)
    if match is None or not 0 <= int(match["port"]) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT or :PORT, got {text!r}")
    return f"{match['host'].strip('[]') or '127.0.0.1'}:{match['port']}"


def run_serve(args: argparse.Namespace) -> int:
    from surefix.server.lsp.wiring import start  # pygls loads for the server, never for `check`

    start(args.tcp)
    return 0
