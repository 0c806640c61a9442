"""A plain install, as a user gets it: the wheel built from this tree, installed with no extras
into a fresh virtual environment, and used only through its `surefix` console script.

Nothing here imports the package under test or reaches into the repository's own `.venv`: the
commands run from a temporary folder, with only the fresh environment's `bin` (then the system's)
on PATH, so a file missing from the wheel or a dependency that only an extra brings in fails here.
The dependencies come from the package index through pip as usual (pip's cache makes warm runs
quick).
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden"
SAMPLE = REPO / "server" / "sample_project"
MIN_OUTCOMES = 50  # surefix.model.training.retrain.MIN_OUTCOMES, as the user reads it
BADGE = re.compile(r"^\s+[✓?✗] \d{1,3}%  (auto-apply|review-suggested|manual-only) ", re.M)
# What a source tree holds that is not source: never copied into the build.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "tmp", "build", "dist", "*.egg-info", "__pycache__",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", "data",
)  # fmt: skip


def run(argv: list[str], timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip wheel --no-deps` on a copy of the tree, so the build leaves nothing in the checkout."""
    root = tmp_path_factory.mktemp("build")
    source = root / "source"
    shutil.copytree(REPO, source, ignore=NOT_SOURCE, symlinks=True)
    built = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(root), str(source)],
        600,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = root.glob("surefix-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A fresh venv with `pip install <wheel>` (no extras); how to run its commands."""
    root = tmp_path_factory.mktemp("installed")
    venv = root / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)], 300)
    assert made.returncode == 0, made.stderr
    pip = run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], 900)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    home = root / "home"
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "SUREFIX_DATA_DIR"}
        and not k.startswith("XDG_")
    }
    env |= {"HOME": str(home), "PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin"}
    return {"venv": venv, "root": root, "env": env}


def surefix(
    installed: dict[str, Any], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user on that PATH runs it."""
    script = installed["venv"] / "bin" / "surefix"
    return run([str(script), *args], 300, cwd=cwd or installed["root"], env=installed["env"])


def distributions(installed: dict[str, Any]) -> set[str]:
    listed = run(
        [str(installed["venv"] / "bin" / "python"), "-m", "pip", "list", "--format", "json"],
        120,
        env=installed["env"],
    )
    assert listed.returncode == 0, listed.stderr
    return {d["name"].lower() for d in json.loads(listed.stdout)}


def test_the_wheel_requires_scikit_learn_without_any_extra(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(name).decode()
        names = set(archive.namelist())
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    sklearn = [r for r in requires if r.split()[1].startswith("scikit-learn")]
    assert sklearn and all(";" not in r for r in sklearn), requires
    # The data the commands below need travels in the wheel.
    assert "surefix/model/bundled/params.json" in names
    assert "surefix/server/sample_project/inventory/models.py" in names


def test_a_plain_install_has_scikit_learn_and_no_extra(installed: dict[str, Any]) -> None:
    present = distributions(installed)
    assert {"surefix", "scikit-learn", "numpy", "ruff", "pygls"} <= present, present
    assert "matplotlib" not in present  # only the `train` extra brings it: none was asked for
    assert "pytest" not in present


def test_retrain_with_too_few_outcomes_is_one_clear_line(installed: dict[str, Any]) -> None:
    data = installed["root"] / "empty-store"
    data.mkdir()
    result = surefix(installed, "retrain", "--data-dir", str(data))
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert result.returncode != 0, result
    assert len(lines) == 1, lines
    assert lines[0].startswith("surefix: error: retraining needs at least"), lines
    assert f"there are 0 ({MIN_OUTCOMES} more needed)" in lines[0], lines
    assert not (data / "models").exists()  # nothing was promoted


def test_report_writes_the_html_and_prints_its_path(installed: dict[str, Any]) -> None:
    data = installed["root"] / "report-store"
    result = surefix(installed, "report", "--data-dir", str(data))
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.strip().splitlines()
    path = Path(line)
    assert path == data / "report.html"
    html = path.read_text()
    assert "<html" in html.lower() and "</html>" in html.lower()


def test_demo_scores_the_packaged_sample_project(installed: dict[str, Any]) -> None:
    result = surefix(installed, "demo")
    assert result.returncode == 0, result.stderr
    site = next((installed["venv"] / "lib").glob("python3*/site-packages"))
    assert f"{site}/surefix/server/sample_project/inventory/models.py:" in result.stdout
    assert len(BADGE.findall(result.stdout)) >= 10, result.stdout
    assert re.fullmatch(r"\d+ fixes: .*auto-apply.*", result.stdout.strip().splitlines()[-1])


def test_check_gives_the_same_scores_as_the_checkout(
    installed: dict[str, Any], tmp_path: Path
) -> None:
    """The installed wheel scores the sample project exactly as the source tree does
    (tests/unit/test_cli.py holds the checkout to the same golden output)."""
    project = tmp_path / "sample"
    shutil.copytree(SAMPLE, project)
    result = surefix(installed, "check", ".", cwd=project)
    assert result.returncode == 1, result.stderr  # like a linter: there is something to fix
    assert result.stdout == (GOLDEN / "check_sample.txt").read_text()


# -- `surefix serve`, through a raw LSP client on stdio ----------------------------------------


def send(process: subprocess.Popen[bytes], message: dict[str, Any]) -> None:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    assert process.stdin is not None
    process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    process.stdin.flush()


def messages(process: subprocess.Popen[bytes], timeout: float) -> Iterator[dict[str, Any]]:
    """Framed JSON-RPC messages from the server's stdout until `timeout` seconds pass."""
    assert process.stdout is not None
    fd, buffer, deadline = process.stdout.fileno(), b"", time.monotonic() + timeout
    while True:
        header, sep, rest = buffer.partition(b"\r\n\r\n")
        if sep:
            fields = dict(
                line.split(b":", 1) for line in header.split(b"\r\n") if b":" in line
            )  # fmt: skip
            length = int(fields[b"Content-Length"])
            if len(rest) >= length:
                buffer = rest[length:]
                yield json.loads(rest[:length])
                continue
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise AssertionError(f"no complete message within {timeout} s: {buffer[:500]!r}")
        chunk = os.read(fd, 65536)
        if not chunk:
            raise AssertionError(f"the server closed stdout: {buffer[:500]!r}")
        buffer += chunk


def reply(process: subprocess.Popen[bytes], request_id: int, timeout: float) -> dict[str, Any]:
    for message in messages(process, timeout):
        if message.get("id") == request_id and "method" not in message:
            return message
    raise AssertionError("unreachable")


def test_serve_answers_initialize_over_stdio(installed: dict[str, Any]) -> None:
    env = {**installed["env"], "SUREFIX_DATA_DIR": str(installed["root"] / "serve-store")}
    log = installed["root"] / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(installed["venv"] / "bin" / "surefix"), "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=sink,
            cwd=installed["root"],
            env=env,
        )
    try:
        send(process, {"id": 1, "method": "initialize", "params": {
            "processId": os.getpid(), "rootUri": None, "capabilities": {},
        }})  # fmt: skip
        answer = reply(process, 1, 60)
        assert "error" not in answer, answer
        result = answer["result"]
        assert result["serverInfo"]["name"] == "surefix", result
        capabilities = result["capabilities"]
        assert capabilities["codeActionProvider"], capabilities
        assert capabilities["hoverProvider"], capabilities
        send(process, {"method": "initialized", "params": {}})
        send(process, {"id": 2, "method": "shutdown"})
        assert "error" not in reply(process, 2, 30)
        send(process, {"method": "exit"})
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in log.read_text(), log.read_text()
