"""VS Code, for real: code-server's workbench in headless Chromium, the packaged extension, and
the `surefix serve` it starts, driven through the keyboard like a user.

Needs node, Debian's chromium and the cache that `editors/vscode/scripts/setup-test-env.sh`
fills (code-server and the extension's node dependencies), which `make test` runs first. Under
`make` (SUREFIX_EDITORS_REQUIRED=1) a missing piece fails the test; a bare `pytest` skips and
says what is missing. The extension is built in a temporary copy of `editors/vscode` whose
node_modules links to the cache: nothing in the checkout points into the cache, so the README's
`npm ci` there cannot empty it (the last test here runs that build and checks).
Everything listens on 127.0.0.1 only, HOME/XDG and the surefix store live in a temporary folder,
and each process runs in its own process group that is killed afterwards.
Screenshots land in `tmp/artifacts/vscode/` (or `$SUREFIX_TEST_ARTIFACTS/vscode`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest

from surefix.model.training.retrain import MIN_OUTCOMES

from .processes import kill_group, run_in_group

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "editors" / "vscode"
DRIVER = Path(__file__).parent / "vscode" / "drive.mjs"
SAMPLE = REPO / "server" / "sample_project"
CODE_SERVER_VERSION = "4.100.3"  # must match editors/vscode/scripts/setup-test-env.sh
CACHE = Path(os.environ.get("SUREFIX_EDITOR_CACHE") or Path.home() / ".cache" / "surefix-editors")
CODE_SERVER = CACHE / f"code-server-{CODE_SERVER_VERSION}" / "node_modules" / ".bin" / "code-server"
LOCK_HASH = hashlib.sha256((EXTENSION / "package-lock.json").read_bytes()).hexdigest()[:16]
MODULES = CACHE / f"vscode-extension-deps-{LOCK_HASH}" / "node_modules"  # the script's folder
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("SUREFIX_TEST_ARTIFACTS") or REPO / "tmp" / "artifacts") / "vscode"
SETUP = "run `make editors` (editors/vscode/scripts/setup-test-env.sh)"
BADGE = re.compile(r"^\S+ (\d{1,2})% ")  # `✓ 97% Remove unused import`
FILE = "inventory/models.py"  # lines 1-2: two unused imports, two different trust scores


def unavailable(reason: str) -> NoReturn:
    """Skip, saying why; under `make` (SUREFIX_EDITORS_REQUIRED=1), where the editors were
    installed first, a missing piece is a failure instead."""
    if os.environ.get("SUREFIX_EDITORS_REQUIRED"):
        pytest.fail(reason)
    pytest.skip(reason)


def node_modules() -> Path:
    """The extension's dependencies in the cache, or a skip that says how to get them."""
    if shutil.which("node") is None:
        unavailable("node is not installed")
    for tool in ("tsc", "esbuild", "vsce"):
        if not (MODULES / ".bin" / tool).exists():
            unavailable(f"the VS Code extension's node dependencies are missing ({tool}); {SETUP}")
    return MODULES


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the extension's sources whose node_modules is a link to the cached deps: the
    tests build here, never in editors/vscode."""
    modules = node_modules()
    work = tmp_path_factory.mktemp("extension") / "vscode"
    shutil.copytree(EXTENSION, work, ignore=shutil.ignore_patterns("node_modules", "dist"))
    (work / "node_modules").symlink_to(modules, target_is_directory=True)
    return work


def test_extension_typechecks_against_the_vscode_api(workdir: Path) -> None:
    result = run_in_group(
        [str(workdir / "node_modules" / ".bin" / "tsc"), "--noEmit", "-p", "."], 120, cwd=workdir
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def vsix(workdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extension bundled by esbuild and packaged by vsce, as a user would install it."""
    out = tmp_path_factory.mktemp("vsix") / "surefix.vsix"
    bundle = run_in_group(["npm", "run", "--silent", "bundle"], 120, cwd=workdir)
    assert bundle.returncode == 0, bundle.stdout + bundle.stderr
    vsce = str(workdir / "node_modules" / ".bin" / "vsce")
    package = run_in_group(
        [vsce, "package", "--no-dependencies", "--out", str(out)], 120, cwd=workdir
    )
    assert package.returncode == 0, package.stdout + package.stderr
    return out


def test_vsix_holds_the_bundle_and_the_manifest_only(vsix: Path) -> None:
    names = set(zipfile.ZipFile(vsix).namelist())
    extension = {n for n in names if n.startswith("extension/")}
    assert extension == {
        "extension/package.json",
        "extension/readme.md",
        "extension/LICENSE.txt",
        "extension/dist/extension.js",
    }


# -- the workbench ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sandbox_env(root: Path) -> dict[str, str]:
    """HOME, XDG and the surefix store inside `root`; every outbound route points at a dead
    loopback port (the extension gallery, HTTP proxies)."""
    dead = "http://127.0.0.1:9"
    return {
        **os.environ,
        "HOME": str(root / "home"),
        "XDG_CONFIG_HOME": str(root / "xdg" / "config"),
        "XDG_DATA_HOME": str(root / "xdg" / "data"),
        "XDG_STATE_HOME": str(root / "xdg" / "state"),
        "XDG_CACHE_HOME": str(root / "xdg" / "cache"),
        "SUREFIX_DATA_DIR": str(root / "surefix-data"),
        "EXTENSIONS_GALLERY": json.dumps(
            {
                "serviceUrl": f"{dead}/gallery",
                "itemUrl": f"{dead}/item",
                "resourceUrlTemplate": f"{dead}/res",
            }
        ),
        "http_proxy": dead,
        "https_proxy": dead,
        "no_proxy": "127.0.0.1,localhost",
    }


def write_code_server_config(root: Path, port: int, server: dict[str, Any]) -> Path:
    config = root / "config.yaml"
    config.write_text(
        f"bind-addr: 127.0.0.1:{port}\nauth: none\ncert: false\ndisable-telemetry: true\n"
        "disable-update-check: true\ndisable-workspace-trust: true\n"
        "disable-getting-started-override: true\n"
    )
    user = root / "user-data" / "User"
    user.mkdir(parents=True)
    settings = {
        **server,
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "workbench.enableExperiments": False,
        "telemetry.telemetryLevel": "off",
        "update.mode": "none",
        "extensions.autoCheckUpdates": False,
        "extensions.autoUpdate": False,
        "extensions.ignoreRecommendations": True,
        "security.workspace.trust.enabled": False,
        "git.enabled": False,
        "npm.fetchOnlinePackageInfo": False,
    }
    (user / "settings.json").write_text(json.dumps(settings, indent=1))
    return config


def wait_healthy(process: subprocess.Popen[Any], base: str, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"code-server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"code-server did not answer /healthz within 90 s:\n{log.read_text()}")


@contextmanager
def code_server(vsix: Path, root: Path, server: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """code-server on a free loopback port with the packaged extension installed, `server`'s
    `surefix.server.*` settings, and a copy of the sample project as its folder."""
    if not CODE_SERVER.exists():
        unavailable(f"code-server {CODE_SERVER_VERSION} is not in {CACHE}; {SETUP}")
    if not CHROMIUM.exists():
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)")
    folder = root / "project"
    shutil.copytree(SAMPLE, folder)
    (root / "home").mkdir()
    port = free_port()
    config, env = write_code_server_config(root, port, server), sandbox_env(root)
    dirs = ["--config", str(config), "--user-data-dir", str(root / "user-data")]
    dirs += ["--extensions-dir", str(root / "extensions")]
    installed = run_in_group(
        [str(CODE_SERVER), *dirs, "--install-extension", str(vsix)], 180, env=env
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    log = root / "code-server.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [str(CODE_SERVER), *dirs, str(folder)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(process, base, log)
        yield {"base": base, "folder": folder, "root": root, "env": env, "log": log}
    finally:
        kill_group(process)


def drive(workbench: dict[str, Any], name: str, **scenario: Any) -> dict[str, Any]:
    """Run the browser driver on `workbench`; what it saw. Screenshots go to ARTIFACTS/name."""
    artifacts = ARTIFACTS / name
    artifacts.mkdir(parents=True, exist_ok=True)
    config = {
        "base": workbench["base"],
        "folder": str(workbench["folder"]),
        "file": FILE,
        "artifacts": str(artifacts),
        "modules": str(node_modules()),
        **scenario,
    }
    config_file = workbench["root"] / "drive.json"
    config_file.write_text(json.dumps(config))
    result = run_in_group(["node", str(DRIVER), str(config_file)], 600, env=workbench["env"])
    shutil.copy(workbench["log"], artifacts / "code-server.log")
    assert result.returncode == 0, f"{result.stderr}\n(screenshots in {artifacts})"
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def session(vsix: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One user session in the browser: quick fix on lines 1-2, apply, save; then retrain from
    the palette, and open the report from the palette and from the status bar. What the driver
    saw, and the workbench it saw it in."""
    # The extension host's PATH comes from a login shell, not from us: name the interpreter.
    server = {"surefix.server.python": sys.executable}
    with code_server(vsix, tmp_path_factory.mktemp("code-server"), server) as workbench:
        original = (workbench["folder"] / FILE).read_text()
        seen = drive(
            workbench,
            "session",
            selectLines=2,
            command="Surefix: Retrain local model",
            report=True,
        )
        yield {**seen, "original": original, **workbench}


def badges(titles: list[str]) -> list[int]:
    return [int(m[1]) for m in map(BADGE.match, titles) if m]


def test_quick_fix_menu_lists_badged_fixes_most_trusted_first(session: dict[str, Any]) -> None:
    titles = session["titles"]
    scores = badges(titles)
    assert len(scores) >= 2, titles  # `import os` and `import sys`
    assert scores == sorted(scores, reverse=True), titles
    assert BADGE.match(titles[0]), f"the preferred fix should come first: {titles}"
    assert "Remove unused import: `os`" in titles[0], titles


def test_applying_the_preferred_fix_changes_the_file_on_disk(session: dict[str, Any]) -> None:
    after = (session["folder"] / FILE).read_text()
    assert after == session["original"].replace("import os\n", "", 1)


def test_taking_the_fix_is_recorded_in_the_local_store(session: dict[str, Any]) -> None:
    """The quick fix's command ran through the extension: the store in SUREFIX_DATA_DIR (set
    for code-server, inherited by the server it starts) holds one accepted outcome."""
    stats: dict[str, Any] = {}
    deadline = time.monotonic() + 30  # the record command follows the edit asynchronously
    while time.monotonic() < deadline:
        result = run_in_group(
            [sys.executable, "-m", "surefix.server.cli", "data", "stats", "--json"],
            60,
            env=session["env"],
        )
        assert result.returncode == 0, result.stderr
        stats = json.loads(result.stdout)
        if stats["events"]:
            break
        time.sleep(0.5)
    assert stats["outcomes"]["accepted"] == 1, stats


def test_status_bar_shows_the_model_and_that_outcomes_are_collected(
    session: dict[str, Any],
) -> None:
    """The server's `surefix/status` notification reached the status-bar item."""
    assert re.fullmatch(r"surefix \S+ · data on", session["status"] or ""), session["status"]


def test_retrain_from_the_command_palette_ends_with_the_servers_verdict(
    session: dict[str, Any],
) -> None:
    """One recorded outcome is far too few to learn from: the server's retrain says how many
    more it needs, and that message is what the user sees when the command finishes."""
    needed = f"there are 1 ({MIN_OUTCOMES - 1} more needed)"
    assert any(
        n.startswith("surefix: retraining needs") and needed in n for n in session["notifications"]
    ), session["notifications"]


REPORT_TITLE = "surefix model report"  # the report page's <title> and <h1>


@pytest.mark.parametrize("opened_from", ["palette", "statusBar"])
def test_the_report_opens_in_a_webview_panel_in_the_editor(
    session: dict[str, Any], opened_from: str
) -> None:
    """Surefix: Show model report, and a click on the status-bar item, open the report the
    server wrote as the active editor tab: a webview with the page, no script in it and a
    strict policy. Nothing opens outside the workbench (the extension tells the server it shows
    the report itself) and no message names the file instead."""
    view = session["report"][opened_from]
    assert view["activeTab"] == REPORT_TITLE and view["tabs"].count(REPORT_TITLE) == 1, view
    assert view["inWebview"] and view["heading"] == REPORT_TITLE
    written = (session["root"] / "surefix-data" / "report.html").read_text()
    assert view["sections"] and all(f"<h2>{s}</h2>" in written for s in view["sections"]), view
    assert view["scripts"] == 0 and "<script" not in written.lower()
    assert (view["policy"] or "").startswith("default-src 'none';"), view["policy"]
    assert view["pages"] == 0 and session["external"] == [], "the report opened outside too"
    assert not [n for n in view["notifications"] if "report.html" in n], view["notifications"]


def test_the_report_tab_closes_before_the_status_bar_opens_it(session: dict[str, Any]) -> None:
    assert REPORT_TITLE not in session["report"]["afterClose"]


def test_a_server_that_cannot_start_is_reported_with_the_fix(
    vsix: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("code-server-broken")
    missing = str(root / "no-such-surefix")
    with code_server(vsix, root, {"surefix.server.command": [missing, "serve"]}) as workbench:
        seen = drive(workbench, "start-failure", expect="could not be started")
    (message,) = [n for n in seen["notifications"] if "could not be started" in n]
    assert f'"{missing} serve"' in message
    assert "pipx install ." in message and "surefix.server.command" in message


UNTIDY = "import sys\nimport os\n\n\ndef  main() :\n    return [sys.argv,os.sep]\n"
TYPED = "x  =  1"  # what the user types at the end before saving: no bracket to auto-close


def test_a_save_organizes_the_imports_then_formats_as_the_readme_sets_it_up(
    vsix: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The README's `[python]` block: surefix as the formatter, format on save, organize
    imports on save. The file written is Ruff's import fixes, then `ruff format`, of what the
    user had (the sample project's own settings: line length 100, `I` selected)."""
    settings = {
        "surefix.server.python": sys.executable,
        "files.autoSave": "off",  # code-server saves after a delay, which formats nothing
        "[python]": {
            "editor.defaultFormatter": "surefix.surefix",
            "editor.formatOnSave": True,
            "editor.codeActionsOnSave": {"source.organizeImports.surefix": "explicit"},
        },
    }
    name = "inventory/tidy.py"
    with code_server(vsix, tmp_path_factory.mktemp("code-server-save"), settings) as workbench:
        folder = workbench["folder"]
        (folder / name).write_text(UNTIDY)
        drive(workbench, "save", file=name, type=TYPED)
        saved = (folder / name).read_text()
    ruff = [str(Path(sys.executable).parent / "ruff")]
    where = ["--stdin-filename", str(folder / name), "-"]
    fixed = subprocess.run(
        [*ruff, "check", "--fix-only", "--select", "I001,I002", *where],
        cwd=folder, input=UNTIDY + TYPED, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    expected = subprocess.run(
        [*ruff, "format", *where],
        cwd=folder, input=fixed, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert saved == expected != UNTIDY + TYPED
    assert saved.startswith("import os\nimport sys\n") and "def main():" in saved


# -- the README's build, next to the cached test environment ----------------------------------


def shell_steps(readme: Path, heading: str) -> list[str]:
    """The commands of the first ```sh block after `heading`, comments and blank lines dropped."""
    text = readme.read_text()
    block = re.search(r"```sh\n(.*?)```", text[text.index(heading) :], re.S)
    assert block, f"no ```sh block after {heading!r} in {readme}"
    lines = (line.split("#", 1)[0].strip() for line in block[1].splitlines())
    return [line for line in lines if line]


def fingerprint(folder: Path) -> list[tuple[str, int, int]]:
    """Every entry under `folder` (links not followed), with its size and modification time."""
    seen = []
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        seen.append((str(path.relative_to(folder)), info.st_size, info.st_mtime_ns))
    return seen


def as_user_has_it(directory: str, names: list[str]) -> list[str]:
    """copytree's ignore: no build output, and node_modules only where it is a link (a link into
    the cache is exactly what the README's `npm ci` would empty)."""
    return [
        n
        for n in names
        if n == "dist" or (n == "node_modules" and not (Path(directory) / n).is_symlink())
    ]


def test_the_readme_build_leaves_the_cached_test_environment_intact(tmp_path: Path) -> None:
    """README.md's and editors/vscode/README.md's build commands, run verbatim in a copy of the
    checkout (`code` is code-server in a sandbox), build and install the .vsix, and the cache
    the other tests use is unchanged afterwards, file by file."""
    steps = shell_steps(REPO / "README.md", "### VS Code")
    assert steps[0] == "cd editors/vscode", steps
    assert steps[1:] == shell_steps(EXTENSION / "README.md", "## Building")
    assert any(step.startswith("npm ci") for step in steps), steps
    modules = node_modules()
    if not CODE_SERVER.exists():
        unavailable(f"code-server {CODE_SERVER_VERSION} is not in {CACHE}; {SETUP}")
    assert not (EXTENSION / "node_modules").is_symlink(), "editors/vscode links into the cache"
    clone = tmp_path / "clone"
    shutil.copytree(EXTENSION, clone / "editors" / "vscode", symlinks=True, ignore=as_user_has_it)
    sandbox = tmp_path / "code"
    (sandbox / "home").mkdir(parents=True)
    exports = {k: v for k, v in sandbox_env(sandbox).items() if os.environ.get(k) != v}
    tools = tmp_path / "bin"
    tools.mkdir()
    code = tools / "code"
    code.write_text(
        "#!/bin/sh\n"
        + "".join(f"export {k}={shlex.quote(v)}\n" for k, v in exports.items())
        + f"exec {shlex.quote(str(CODE_SERVER))} --user-data-dir {sandbox / 'user-data'} "
        + f'--extensions-dir {sandbox / "extensions"} "$@"\n'
    )
    code.chmod(0o755)
    before = fingerprint(modules.parent)
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    built = run_in_group(["bash", "-euc", "\n".join(steps)], 600, cwd=clone, env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    extension = clone / "editors" / "vscode"
    assert (extension / "dist" / "surefix.vsix").is_file()
    assert (extension / "node_modules").is_dir() and not (extension / "node_modules").is_symlink()
    assert list((sandbox / "extensions").glob("surefix.surefix-*")), built.stdout
    assert fingerprint(modules.parent) == before, "the README's build changed the cache"
