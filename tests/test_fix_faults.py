"""dlp-fix under faults: read-only files, saves racing the fix, hard links, signals, dying workers,
files too large to fix. Each test reproduces the fault first, then checks what the user sees."""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flake8_dlpractice.cli import fix as cli
from flake8_dlpractice.fixes import Budget

SEEDED = "import torch\n\ntorch.manual_seed(0)  # seed\nmodel = torch.nn.Conv2d(2, 2, 1).cuda()\n"
SEEDED_FIXED = ("import torch\n\ntorch.manual_seed(0)  # seed\ntorch.backends.cudnn.deterministic = True\n"
                "torch.backends.cudnn.benchmark = False\nmodel = torch.nn.Conv2d(2, 2, 1).cuda()\n")
EDITED = SEEDED + "# saved by the user meanwhile\n"
POSIX = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and file modes")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def run(*args: str) -> int:
    return cli.main(["--select", "DLP201", *args])


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- read-only files ---------------------------------------------------------------------------------

@POSIX
@pytest.mark.parametrize("mode", [0o444, 0o044, 0o555])
def test_read_only_file_is_refused_even_for_root(tmp_path, capsys, mode):
    f = write(tmp_path / "a.py", SEEDED)
    g = write(tmp_path / "b.py", SEEDED)
    os.chmod(f, mode)
    assert run(str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert f"{f}: error: cannot write: read-only file\n" in err
    assert f.read_text() == SEEDED and stat.S_IMODE(os.stat(f).st_mode) == mode
    assert g.read_text() == SEEDED_FIXED  # the run went on
    assert names(tmp_path) == ["a.py", "b.py"]


@POSIX
def test_read_only_file_is_fine_when_nothing_is_written(tmp_path, capsys):
    f = write(tmp_path / "a.py", SEEDED)
    os.chmod(f, 0o444)
    assert run("--check", str(f)) == 1
    assert f"Would fix {f} (1 fix: DLP201)" in capsys.readouterr().out
    os.chmod(f, 0o644)
    f.write_text(SEEDED_FIXED)
    os.chmod(f, 0o444)
    assert run(str(f)) == 0  # nothing to fix: nothing to refuse


# --- a save racing the fix -----------------------------------------------------------------------------

def test_save_between_writing_and_renaming_wins(tmp_path, capsys, monkeypatch):
    """The last check runs after the new text is flushed, right before the rename."""
    f = write(tmp_path / "a.py", SEEDED)
    real_fsync = os.fsync

    def fsync_then_user_saves(fd):
        real_fsync(fd)
        f.write_text(EDITED)
    monkeypatch.setattr(os, "fsync", fsync_then_user_saves)
    assert run(str(f)) == 2
    assert f"{f}: not written: changed on disk while being fixed; left alone" in capsys.readouterr().err
    assert f.read_text() == EDITED
    assert names(tmp_path) == ["a.py"]


def test_same_size_save_is_seen_too(tmp_path, capsys, monkeypatch):
    f = write(tmp_path / "a.py", SEEDED)
    same_size = SEEDED.replace("seed\n", "SEED\n")
    real_fsync = os.fsync

    def fsync_then_user_saves(fd):
        real_fsync(fd)
        stamp = os.stat(f)
        f.write_text(same_size)
        os.utime(f, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # same size, same time stamp
    monkeypatch.setattr(os, "fsync", fsync_then_user_saves)
    assert run(str(f)) == 2
    assert f.read_text() == same_size


# --- hard links ---------------------------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "link"), reason="no hard links")
def test_hard_linked_file_is_rewritten_in_place(tmp_path):
    f = write(tmp_path / "a.py", SEEDED)
    other = tmp_path / "elsewhere.py"
    os.link(f, other)
    inode = os.stat(f).st_ino
    os.chmod(f, 0o640)
    assert run(str(f)) == 0
    assert f.read_text() == SEEDED_FIXED and other.read_text() == SEEDED_FIXED
    now = os.stat(f)
    assert (now.st_ino, now.st_nlink, stat.S_IMODE(now.st_mode)) == (inode, 2, 0o640)
    assert names(tmp_path) == ["a.py", "elsewhere.py"]


@pytest.mark.skipif(not hasattr(os, "link"), reason="no hard links")
def test_hard_linked_file_changed_meanwhile_is_left_alone(tmp_path, capsys, monkeypatch):
    f = write(tmp_path / "a.py", SEEDED)
    os.link(f, tmp_path / "b.py")
    real_fix = cli.fix_text

    def racing(*args, **kwargs):
        outcome = real_fix(*args, **kwargs)
        (tmp_path / "b.py").write_text(EDITED)
        return outcome
    monkeypatch.setattr(cli, "fix_text", racing)
    assert run(str(f)) == 2
    assert "changed on disk while being fixed; left alone" in capsys.readouterr().err
    assert f.read_text() == EDITED


def test_fix_shrinking_a_hard_linked_file_truncates_it(tmp_path):
    head = "import torch\n\ntorch.autograd.set_detect_anomaly(True)  # noqa: DLP502\n"
    f = write(tmp_path / "a.py", head + "model = torch.compile(torch.nn.Linear(2, 2))\n")
    os.link(f, tmp_path / "b.py")
    assert cli.main(["--select", "DLP500", "--unsafe-fixes", str(f)]) == 0
    assert (tmp_path / "b.py").read_text() == head + "model = torch.nn.Linear(2, 2)\n"


# --- signals ----------------------------------------------------------------------------------------

# runs dlp-fix with os.fsync patched to deliver a signal while the temporary file exists
SIGNALLED = textwrap.dedent("""
    import os, signal, sys, time
    from flake8_dlpractice.cli import fix
    real_fsync = os.fsync
    target, signum = sys.argv[1], getattr(signal, sys.argv[2])

    def fsync(fd):
        real_fsync(fd)
        os.kill(os.getppid() if target == "parent" else os.getpid(), signum)
        time.sleep(30)  # the signal lands here (a worker waits for the parent to stop it)
    os.fsync = fsync
    sys.exit(fix.main(sys.argv[3:]))
""")


# runs dlp-fix with tempfile.mkstemp patched to deliver a signal the moment the temporary file exists,
# before the fixer could note it for cleanup
SIGNALLED_AT_CREATION = textwrap.dedent("""
    import os, signal, sys, tempfile
    from flake8_dlpractice.cli import fix
    real_mkstemp = tempfile.mkstemp
    signum = getattr(signal, sys.argv[1])

    def mkstemp(*args, **kwargs):
        made = real_mkstemp(*args, **kwargs)
        os.kill(os.getpid(), signum)
        return made
    tempfile.mkstemp = mkstemp
    sys.exit(fix.main(sys.argv[2:]))
""")


@POSIX
@pytest.mark.parametrize("jobs, signame, status", [("1", "SIGINT", 130), ("1", "SIGTERM", 143), ("2", "SIGTERM", 2)])
def test_signal_as_the_temporary_file_is_created_leaves_nothing_behind(tmp_path, jobs, signame, status):
    files = [write(tmp_path / f"f{i}.py", SEEDED) for i in range(2)]
    done = subprocess.run([sys.executable, "-c", SIGNALLED_AT_CREATION, signame, "--select", "DLP201", "-j", jobs,
                           *map(str, files)], capture_output=True, text=True, timeout=60, check=False)
    assert "Traceback" not in done.stderr
    assert names(tmp_path) == ["f0.py", "f1.py"]  # no temporary file left
    assert all(f.read_text() == SEEDED for f in files)
    # in one process the run stops (128 + the signal); with workers, each worker stopped by SIGTERM
    # loses its file, which is reported, and the run ends with status 2
    assert done.returncode == status


def _signalled(tmp_path: Path, target: str, signame: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SIGNALLED, target, signame, "--select", "DLP201", *args],
                          capture_output=True, text=True, timeout=60, check=False)


@POSIX
@pytest.mark.parametrize("signame, status", [("SIGINT", 130), ("SIGTERM", 143)])
def test_signal_while_writing_leaves_no_temporary_file_and_no_traceback(tmp_path, signame, status):
    f = write(tmp_path / "a.py", SEEDED)
    done = _signalled(tmp_path, "self", signame, str(f))
    assert done.returncode == status
    assert done.stderr == "dlp-fix: interrupted; files not yet written are unchanged\n"
    assert f.read_text() == SEEDED
    assert names(tmp_path) == ["a.py"]


@POSIX
def test_sigterm_to_parallel_run_stops_the_workers_cleanly(tmp_path):
    for i in range(4):
        write(tmp_path / f"f{i}.py", SEEDED)
    done = _signalled(tmp_path, "parent", "SIGTERM", "-j", "2", str(tmp_path))
    assert done.returncode == 143
    assert "Traceback" not in done.stderr
    assert "interrupted" in done.stderr
    assert names(tmp_path) == ["f0.py", "f1.py", "f2.py", "f3.py"]  # no temporary file left
    assert all((tmp_path / f"f{i}.py").read_text() == SEEDED for i in range(4))


# --- workers that die ----------------------------------------------------------------------------

def test_worker_killed_is_an_error_for_its_file_and_the_run_goes_on(tmp_path, capsys, monkeypatch):
    """The fork start method copies the patched module into the workers."""
    files = [write(tmp_path / f"f{i}.py", SEEDED) for i in range(6)]
    real = cli.fix_bytes

    def dies_on_f2(data, path, *args):
        if path.endswith("f2.py"):
            os.kill(os.getpid(), signal.SIGKILL)  # what the out-of-memory killer does
        return real(data, path, *args)
    monkeypatch.setattr(cli, "fix_bytes", dies_on_f2)
    assert run("-j", "2", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert (f"{files[2]}: error: not fixed: its worker process was killed by SIGKILL, "
            "e.g. by the out-of-memory killer\n") in err
    assert "Fixed 5 findings in 5 files. 1 file skipped or not written." in err
    assert [f.read_text() == SEEDED_FIXED for f in files] == [True, True, False, True, True, True]


def test_every_worker_dying_still_ends(tmp_path, capsys, monkeypatch):
    for i in range(5):
        write(tmp_path / f"f{i}.py", SEEDED)

    def crash(*args):
        os._exit(3)
    monkeypatch.setattr(cli, "fix_bytes", crash)
    assert run("-j", "2", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert err.count("error: not fixed: its worker process exited unexpectedly (status 3)") == 5


pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process model")


# --- files too large to fix -------------------------------------------------------------------------

def _options(**budget) -> cli.Options:
    return cli.Options(unsafe=True, write=True, diff=False, verbose=False, budget=Budget(**budget))


def _rules():
    from flake8_dlpractice.fixes import select_rules
    return select_rules(["DLP201", "DLP500"], [])


def test_ten_megabyte_literal_is_too_large_to_fix(tmp_path, capsys):
    """It used to take minutes and 14.7 GB (libcst holds every node as Python objects)."""
    f = tmp_path / "a.py"
    f.write_text(SEEDED + "x = [" + "1, " * 3_500_000 + "]\n")
    data = f.read_bytes()
    assert run(str(f)) == 2
    assert f"{f}: skipped: too large to fix: 10.0 MB (the limit is 2.0 MB)\n" in capsys.readouterr().err
    assert f.read_bytes() == data


def test_more_syntax_nodes_than_the_budget_is_too_large_to_fix(tmp_path, capsys):
    f = write(tmp_path / "a.py", SEEDED + "x = [" + "0," * 200_001 + "]\n")
    assert run(str(f)) == 2
    assert f"{f}: skipped: too large to fix: more than 200,000 syntax nodes (the limit)\n" in capsys.readouterr().err
    assert f.read_text().startswith(SEEDED)


def test_more_fixable_findings_than_the_budget_is_too_large_to_fix(tmp_path):
    f = write(tmp_path / "a.py", SEEDED)
    result = cli.process_file(str(f), _options(max_fixes=0), _rules())
    assert (result.status, result.message) == ("skipped", "too large to fix: 1 fixable findings (the limit is 0)")
    assert f.read_text() == SEEDED
    assert cli.process_file(str(f), _options(max_fixes=1), _rules()).status == "fixed"


def test_a_fix_running_past_the_time_budget_is_stopped(tmp_path, monkeypatch):
    """A timer stops one long step (here a slow rule run); the file is left as it was."""
    f = write(tmp_path / "a.py", SEEDED)
    real = cli.findings_of

    def slow(*args):
        import time
        time.sleep(5)
        return real(*args)
    monkeypatch.setattr(cli, "findings_of", slow)
    result = cli.process_file(str(f), _options(max_seconds=0.2), _rules())
    assert (result.status, result.message) == ("skipped", "too large to fix: took longer than 0.2 s (the limit)")
    assert f.read_text() == SEEDED and names(tmp_path) == ["a.py"]


def test_fix_text_checks_its_time_between_steps():
    from flake8_dlpractice.fixes import TooLarge, fix_text
    with pytest.raises(TooLarge, match="took longer than 0 s"):
        fix_text(SEEDED, "a.py", _rules(), budget=Budget(max_seconds=0))


def test_rounds_budget_keeps_the_fixes_made_and_reports_the_rest():
    from flake8_dlpractice.fixes import fix_text
    # flipping benchmark = True reveals the missing deterministic setting: two rounds
    src = ("import torch\n\ntorch.manual_seed(0)\ntorch.backends.cudnn.benchmark = True\n"
           "x = torch.nn.Conv1d(1, 1, 1).cuda()\n")
    full = fix_text(src, "a.py", _rules(), unsafe=True)
    assert full.rounds == 2 and not full.remaining
    cut = fix_text(src, "a.py", _rules(), unsafe=True, budget=Budget(max_rounds=1))
    assert cut.rounds == 1 and len(cut.fixed) == 1
    assert "torch.backends.cudnn.benchmark = False" in cut.text
    assert list(cut.not_fixed.values()) == ["still fixable after 1 rounds"]


def test_worker_stuck_past_the_timeout_is_stopped():
    import time
    from flake8_dlpractice.fixes.workers import Lost, run_in_workers
    results = list(run_in_workers([0.0, 30.0, 0.0, 0.0], time.sleep, 2, timeout=0.5))
    assert results == [(0.0, None), (30.0, Lost("took longer than 0.5 s; its worker process was stopped")),
                       (0.0, None), (0.0, None)]


def test_notebook_outputs_do_not_count_towards_the_size_budget(tmp_path, capsys):
    import json
    big_output = {"output_type": "stream", "name": "stdout", "text": "x" * 3_000_000}
    notebook = {"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "source": SEEDED,
                           "outputs": [big_output]}],
                "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                             "language_info": {"name": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    f = tmp_path / "train.ipynb"
    f.write_text(json.dumps(notebook, indent=1))
    assert run(str(f)) == 0, capsys.readouterr().err
    fixed = json.loads(f.read_text())
    assert "".join(fixed["cells"][0]["source"]) == SEEDED_FIXED
    assert fixed["cells"][0]["outputs"] == [big_output]


def test_editor_fix_all_over_the_budget_offers_no_edit(monkeypatch):
    """The language server's "fix all" shares the fixer: a file too large to fix gets no edit and
    the server goes on (TooLarge is a BaseException, which its request guards would not catch)."""
    pytest.importorskip("pygls")
    from flake8_dlpractice.config import DEFAULT_CONFIG
    from flake8_dlpractice.fixes import TooLarge
    from flake8_dlpractice.lsp import documents

    analysis = documents.analyse_text("file:///a.py", "a.py", SEEDED, 1, DEFAULT_CONFIG)
    assert documents.fix_all(analysis, DEFAULT_CONFIG) == {"file:///a.py": SEEDED_FIXED}

    def too_large(*args, **kwargs):
        raise TooLarge("more than 200,000 syntax nodes (the limit)")
    monkeypatch.setattr(documents, "fix_text", too_large)
    assert documents.fix_all(analysis, DEFAULT_CONFIG) == {}


def test_long_operator_chain_is_too_large_to_fix(tmp_path, capsys):
    """libcst's parser time grows with the square of an operator chain: 2,000 terms took 11 s and
    a real 114 KB notebook export with three such lines ran past the time limit."""
    f = write(tmp_path / "a.py", SEEDED + "pixels = " + "+".join(["[255]"] * 2000) + "\n")
    assert run(str(f)) == 2
    err = capsys.readouterr().err
    assert f"{f}: skipped: too large to fix: code nested more than 300 deep (the limit)" in err
