"""The repository is a pre-commit hook repository: both hooks, run by pre-commit itself.

``pre-commit try-repo`` builds the hooks' environment by installing this checkout with pip; where
that is impossible (no package index reachable) the test is skipped with the reason.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LEAKY = """\
from sklearn.model_selection import train_test_split
from sklearn.linear_model import LogisticRegression

X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=0)
LogisticRegression().fit(X_te, y_te)
"""
FIXABLE = "import torch\n\nfor x in val_loader:\n    print(model(x))\n"


def _git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


def _try_repo(hook: str, cwd: Path, home: Path, *files: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--verbose",
           *(["--files", *files] if files else ["--all-files"])]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PRE_COMMIT_HOME": str(home), "PIP_DISABLE_PIP_VERSION_CHECK": "1"})


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    pytest.importorskip("pre_commit", reason="pre-commit is in the test extra: pip install '.[test]'")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    folder = tmp_path_factory.mktemp("precommit")
    repo, home = folder / "repo", folder / "home"
    repo.mkdir()
    _git("init", "-q", cwd=repo)
    (repo / "README.md").write_text("no Python here yet\n", encoding="utf-8")
    _git("add", ".", cwd=repo)
    _git("commit", "-qm", "start", cwd=repo)
    proc = _try_repo("dlp", repo, home)  # builds the hook environment once (pip install of this checkout)
    if proc.returncode != 0 and ("Could not find a version" in proc.stdout + proc.stderr
                                 or "Failed to establish a new connection" in proc.stdout + proc.stderr
                                 or "No matching distribution" in proc.stdout + proc.stderr):
        pytest.skip("pre-commit cannot install the hook environment (no package index reachable offline)")
    return repo, home, proc


def test_hooks_pass_without_python_files(project):
    _repo, _home, proc = project
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "dlp check" in proc.stdout and "(no files to check)Skipped" in proc.stdout


def test_check_hook_fails_on_a_leak_and_fix_hook_fixes(project):
    repo, home, _ = project
    (repo / "train.py").write_text(LEAKY, encoding="utf-8")
    (repo / "evaluate.py").write_text(FIXABLE, encoding="utf-8")
    _git("add", ".", cwd=repo)
    proc = _try_repo("dlp", repo, home, "train.py")
    assert proc.returncode == 1
    assert ("train.py:5:1: DLP100 test data 'X_te' (test split of train_test_split at line 4) is used to fit"
            in proc.stdout)
    proc = _try_repo("dlp-fix", repo, home, "evaluate.py")
    assert proc.returncode == 1 and "Fixed 1 finding in 1 file." in proc.stdout + proc.stderr
    assert (repo / "evaluate.py").read_text(encoding="utf-8") == (
        "import torch\n\nwith torch.no_grad():\n    for x in val_loader:\n        print(model(x))\n")
    assert _try_repo("dlp", repo, home, "evaluate.py").returncode == 1  # DLP301 (no model.eval()) remains
