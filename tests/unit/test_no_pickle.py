"""No pickle, no joblib, anywhere in the package: a model file is data, never code
(model/scoring/artifact.py). Scanned: every Python file under the package's folders, every other
file there (the shipped model artifacts first), and what loading and using the bundled model does
at run time.
"""

from __future__ import annotations

import ast
import gzip
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from package_source import ROOT, data_files, imports_in, modules, pyproject, python_files

from surefix.model.scoring.artifact import bundled_model_dir

# Modules that unpickle (or wrap something that does).
PICKLERS = ("pickle", "_pickle", "cPickle", "cloudpickle", "dill", "joblib", "shelve")
# Calls that unpickle without importing a pickler by name (pandas, numpy).
UNPICKLING_CALLS = ("read_pickle", "to_pickle")
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".jbl", ".dill", ".sav", ".pt", ".pth")
PICKLE_PROTOCOLS = range(2, 6)  # a pickle of protocol 2+ starts with b"\x80" and its number


def pickle_uses(source: str, where: str) -> list[str]:
    """`where:line what` for each import of a pickler, unpickling call, or `allow_pickle=True`."""
    tree = ast.parse(source, where)
    found = []
    for i in imports_in(tree, "surefix", False):
        if any(part in PICKLERS for part in i.module.split(".")):
            found.append(f"{where}:{i.line} imports {i.module}")
        found += [f"{where}:{i.line} imports {n} from {i.module}" for n in i.names if n in PICKLERS]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        if name in UNPICKLING_CALLS:
            found.append(f"{where}:{node.lineno} calls {name}")
        for keyword in node.keywords:
            if keyword.arg == "allow_pickle" and not (
                isinstance(keyword.value, ast.Constant) and keyword.value.value is False
            ):
                found.append(
                    f"{where}:{node.lineno} passes allow_pickle={ast.unparse(keyword.value)}"
                )
    return found


def test_the_scan_finds_every_kind_of_pickle_use() -> None:
    source = (
        "import pickle\nfrom joblib import load\nimport sklearn.externals.joblib\n"
        "from concurrent import dill\nimportlib.import_module('cloudpickle')\n"
        "def f(path):\n    import shelve\n    np.load(path, allow_pickle=True)\n"
        "    pd.read_pickle(path)\n"
    )
    assert pickle_uses(source, "x.py") == [
        "x.py:1 imports pickle",
        "x.py:2 imports joblib",
        "x.py:3 imports sklearn.externals.joblib",
        "x.py:4 imports dill from concurrent",
        "x.py:5 imports cloudpickle",
        "x.py:7 imports shelve",
        "x.py:8 passes allow_pickle=True",
        "x.py:9 calls read_pickle",
    ]
    assert pickle_uses("np.load(path, allow_pickle=False)\nimport json\n", "y.py") == []


def test_no_module_of_the_package_pickles_or_unpickles() -> None:
    files = python_files()
    assert {m.path for m in modules()} <= set(files)  # every module, and the shipped sample code
    found = [
        use
        for path in files
        for use in pickle_uses(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    ]
    assert found == []


def is_pickle(head: bytes) -> bool:
    return len(head) >= 2 and head[0] == 0x80 and head[1] in PICKLE_PROTOCOLS


def pickled_content(path: Path) -> str | None:
    """Why the file is or holds a pickle, or None."""
    if path.name.endswith(PICKLE_SUFFIXES):
        return "a pickle by its name"
    with path.open("rb") as fh:
        head = fh.read(16)
    if is_pickle(head):
        return "a pickle by its content"
    if head[:2] == b"\x1f\x8b":
        with gzip.open(path) as fh:
            if is_pickle(fh.read(16)):
                return "a gzipped pickle"
    if zipfile.is_zipfile(path):
        if path.suffix == ".npz":
            try:
                with np.load(path, allow_pickle=False) as arrays:
                    for key in arrays.files:
                        arrays[key]
            except ValueError as exc:
                return f"an .npz holding pickled objects ({exc})"
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.endswith(PICKLE_SUFFIXES) or is_pickle(archive.read(member)[:16]):
                    return f"an archive holding the pickle {member}"
    if path.suffix == ".npy":
        try:
            np.load(path, allow_pickle=False)
        except ValueError as exc:
            return f"an .npy of pickled objects ({exc})"
    return None


def test_the_content_check_recognises_a_pickle(tmp_path: Path) -> None:
    import pickle

    plain = tmp_path / "plain.json"
    plain.write_text("{}")
    hidden = tmp_path / "params.json"
    hidden.write_bytes(pickle.dumps({"coef": [1.0]}))
    zipped = tmp_path / "events.csv.gz"
    zipped.write_bytes(gzip.compress(pickle.dumps([1, 2])))
    objects = tmp_path / "arrays.npz"
    np.savez(objects, ok=np.zeros(2), bad=np.array([{"a": 1}], dtype=object))
    assert pickled_content(plain) is None
    assert pickled_content(hidden) == "a pickle by its content"
    assert pickled_content(zipped) == "a gzipped pickle"
    assert (pickled_content(objects) or "").startswith("an .npz holding pickled objects")
    assert pickled_content(tmp_path / "model.joblib") == "a pickle by its name"


def test_no_shipped_file_is_a_pickle() -> None:
    files = data_files()
    bundled = {p.name for p in files if p.parent == bundled_model_dir()}
    assert {"manifest.json", "params.json", "events.csv.gz"} <= bundled  # the model is scanned
    found = {
        p.relative_to(ROOT).as_posix(): why
        for p in files
        if (why := pickled_content(p)) is not None
    }
    assert found == {}
    for path in files:
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))  # plain data, readable as such
    manifest = json.loads((bundled_model_dir() / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) <= bundled  # every file the artifact lists was scanned


def test_nothing_shipped_as_package_data_can_be_a_pickle() -> None:
    patterns = [p for ps in pyproject()["tool"]["setuptools"]["package-data"].values() for p in ps]
    assert patterns
    assert [p for p in patterns if p.endswith(PICKLE_SUFFIXES) or p.endswith("*")] == []


UNPICKLES = """
import sys
from pathlib import Path
unpickled = []
sys.addaudithook(lambda event, args: event == "pickle.find_class" and unpickled.append(args))
from surefix.model.analysis import analyze
from surefix.model.scoring.artifact import bundled_events_path, load_artifact
from surefix.model.scoring.scorer import load_model
from surefix.model.training.dataset import load_events
model = load_model()
load_artifact()
load_events(bundled_events_path())
(candidate,) = analyze("import os\\n", Path("m.py"), model).candidates
assert candidate.score is not None
print(unpickled)
"""


@pytest.mark.parametrize("probe", ["control", "package"])
def test_loading_the_bundled_model_and_scoring_unpickles_nothing(probe: str) -> None:
    """Unpickling anything but plain values looks a class up: the `pickle.find_class` audit
    event. The control run unpickles on purpose, to show the hook sees it."""
    code = UNPICKLES
    if probe == "control":
        code = code.replace("print(", "import pickle; pickle.loads(pickle.dumps(Path())); print(")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    if probe == "control":
        assert "pathlib" in done.stdout
    else:
        assert done.stdout.strip() == "[]"
