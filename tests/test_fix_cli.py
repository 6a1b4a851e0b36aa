"""dlp-fix end to end: command line, files, guarantees (byte-exact output, atomic writes, exit codes)."""
from __future__ import annotations

import ast
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_dlpractice.cli import fix as cli
from flake8_dlpractice.fixes import fix_text
from flake8_dlpractice.findings import line_ref
from flake8_dlpractice.rules.base import Finding, Fix, Rule

SEEDED = "import torch\n\ntorch.manual_seed(0)  # seed\nmodel = torch.nn.Conv2d(2, 2, 1).cuda()\n"
SEEDED_FIXED = ("import torch\n\ntorch.manual_seed(0)  # seed\ntorch.backends.cudnn.deterministic = True\n"
                "torch.backends.cudnn.benchmark = False\nmodel = torch.nn.Conv2d(2, 2, 1).cuda()\n")
COMPILED = ("import torch\n\ntorch.autograd.set_detect_anomaly(True)  # noqa: DLP502\n"
            "model = torch.compile(torch.nn.Linear(2, 2))\n")
COMPILED_FIXED = ("import torch\n\ntorch.autograd.set_detect_anomaly(True)  # noqa: DLP502\n"
                  "model = torch.nn.Linear(2, 2)\n")


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_bytes(text.encode("utf-8"))
    else:
        path.write_bytes(text)
    return path


def run(*args: str) -> int:
    return cli.main(list(args))


# --- fixing files --------------------------------------------------------------------------------

def test_fixes_safe_by_default_and_second_run_changes_nothing(tmp_path, capsys):
    f = write(tmp_path / "a.py", SEEDED)
    g = write(tmp_path / "b.py", COMPILED)
    assert run("--select", "DLP201,DLP500", str(tmp_path)) == 1  # DLP500 is unsafe: it remains
    out = capsys.readouterr()
    assert f.read_text() == SEEDED_FIXED
    assert g.read_text() == COMPILED
    assert f"{g}:4:9: DLP500 " in out.out
    assert "Fixed 1 finding in 1 file. 1 finding remains (1 fixable with --unsafe-fixes)." in out.err
    assert run("--select", "DLP201,DLP500", "--unsafe-fixes", str(tmp_path)) == 0
    assert g.read_text() == COMPILED_FIXED
    capsys.readouterr()
    assert run("--select", "DLP201,DLP500", "--unsafe-fixes", str(tmp_path)) == 0
    assert "Fixed 0 findings in 0 files." in capsys.readouterr().err


def test_diff_and_check_write_nothing(tmp_path, capsys):
    f = write(tmp_path / "a.py", SEEDED)
    assert run("--diff", "--select", "DLP201", str(f)) == 1
    out = capsys.readouterr().out
    assert out == (f"--- {f}\n+++ {f}\n@@ -1,4 +1,6 @@\n import torch\n \n torch.manual_seed(0)  # seed\n"
                   "+torch.backends.cudnn.deterministic = True\n+torch.backends.cudnn.benchmark = False\n"
                   " model = torch.nn.Conv2d(2, 2, 1).cuda()\n")
    assert run("--check", "--select", "DLP201", str(f)) == 1
    assert f"Would fix {f} (1 fix: DLP201)" in capsys.readouterr().out
    assert f.read_text() == SEEDED
    run("-q", "--select", "DLP201", str(f))
    assert run("--check", "--select", "DLP201", str(f)) == 0
    assert run("--diff", "--select", "DLP201", str(f)) == 0


def test_show_fixes(tmp_path, capsys):
    f = write(tmp_path / "a.py", SEEDED)
    run("--show-fixes", "--select", "DLP201", str(f))
    assert f"Fixed {f}:3:1: DLP201 make cuDNN deterministic after the seed" in capsys.readouterr().out


def test_quiet_and_verbose(tmp_path, capsys):
    f = write(tmp_path / "a.py", COMPILED)
    run("-q", "--select", "DLP500", str(f))
    out = capsys.readouterr()
    assert out.err == "" and "DLP500" in out.out
    run("-v", "--select", "DLP500", str(f))
    err = capsys.readouterr().err
    assert f"{f}: unchanged (0 fixed, 1 remaining" in err


def test_noqa_line_is_neither_fixed_nor_reported(tmp_path, capsys):
    src = SEEDED.replace("# seed", "# noqa: DLP201")
    f = write(tmp_path / "a.py", src)
    assert run("--select", "DLP201", str(f)) == 0
    assert f.read_text() == src
    assert "DLP201" not in capsys.readouterr().out
    src2 = SEEDED.replace("# seed", "# NOQA")
    f.write_text(src2)
    assert run("--select", "DLP201", str(f)) == 0 and f.read_text() == src2
    src3 = SEEDED.replace("# seed", "# noqa: E501")  # another code: still fixed
    f.write_text(src3)
    run("--select", "DLP201", str(f))
    assert f.read_text() != src3


def test_noqa_on_last_line_of_multiline_statement(tmp_path):
    src = "import torch\n\ntorch.manual_seed(\n    0,\n)  # noqa: DLP201\n"
    f = write(tmp_path / "a.py", src)
    assert run("--select", "DLP201", str(f)) == 0
    assert f.read_text() == src


def test_select_ignore_and_opt_in(tmp_path, capsys):
    f = write(tmp_path / "a.py", SEEDED)
    assert run("--ignore", "DLP201", str(f)) in (0, 1)
    assert f.read_text() == SEEDED
    assert run("--select", "DLP5", str(f)) == 0
    assert f.read_text() == SEEDED
    assert run("--select", "DLP2", "--ignore", "DLP20", str(f)) == 0
    assert f.read_text() == SEEDED
    assert run("--select", "DLP", "--ignore", "DLP2", "--select", "DLP201", str(f)) in (0, 1)
    assert f.read_text() == SEEDED_FIXED  # the more specific selector wins
    from flake8_dlpractice.fixes import select_rules
    from flake8_dlpractice.rules import OPT_IN_CODES
    codes = {r.code for r in select_rules(["DLP"], [])}
    assert not codes & OPT_IN_CODES
    for code in OPT_IN_CODES:
        assert code in {r.code for r in select_rules(["DLP", code], [])}
        assert code not in {r.code for r in select_rules([code[:4]], [])}


@pytest.mark.parametrize("args", [["--select", "E 501"], ["--select", "DLP999"], ["-j", "-1"], ["-", "x.py"],
                                  ["--bogus"]])
def test_usage_errors_exit_2(args, capsys):
    with pytest.raises(SystemExit) as exc:
        run(*args)
    assert exc.value.code == 2


def test_missing_path_is_an_error(tmp_path, capsys):
    assert run(str(tmp_path / "nope.py")) == 2
    assert "no such file or directory" in capsys.readouterr().err


# --- bytes kept -----------------------------------------------------------------------------------

def test_crlf_bom_and_permissions_are_kept(tmp_path):
    data = b"\xef\xbb\xbf" + SEEDED.replace("\n", "\r\n").encode()
    f = write(tmp_path / "a.py", data)
    os.chmod(f, 0o751)
    run("-q", "--select", "DLP201", str(f))
    assert f.read_bytes() == b"\xef\xbb\xbf" + SEEDED_FIXED.replace("\n", "\r\n").encode()
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o751
    assert [p.name for p in tmp_path.iterdir()] == ["a.py"]  # no temporary file left


def test_encoding_declaration_and_non_ascii_are_kept(tmp_path):
    src = ("# -*- coding: latin-1 -*-\n# Modèle entraîné\nimport torch\n\n"
           "nom = 'réseau'; torch.manual_seed(0)\nnet = torch.nn.Conv2d(1, 1, 1).cuda()\n")
    f = write(tmp_path / "a.py", src.encode("latin-1"))
    run("-q", "--select", "DLP201", str(f))
    fixed = f.read_bytes().decode("latin-1")
    assert fixed == src.replace("torch.manual_seed(0)\n", "torch.manual_seed(0)\ntorch.backends.cudnn."
                                "deterministic = True\ntorch.backends.cudnn.benchmark = False\n")


def test_symlinked_file_is_written_through(tmp_path):
    real = write(tmp_path / "real.py", SEEDED)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    run("-q", "--select", "DLP201", str(link))
    assert link.is_symlink() and real.read_text() == SEEDED_FIXED


# --- files that cannot be fixed ------------------------------------------------------------------------

@pytest.mark.parametrize("data, reason", [
    (b"import torch\ndef f(:\n", "syntax error: "),
    (b"import torch\nx = '\xff\xfe'\n", "invalid UTF-8 (byte 0xff on line 2)"),
    (b"x = '\xe9t\xe9'\nimport torch\n", "invalid UTF-8 (byte 0xe9 on line 1)"),  # the encoding check's lines
    (b"import torch\x00\n", "contains null bytes"),
    (b"# -*- coding: klingon -*-\nx = 1\n", "unknown source encoding"),
])
def test_unreadable_files_are_skipped_with_reason_and_exit_2(tmp_path, capsys, data, reason):
    bad = write(tmp_path / "bad.py", data)
    good = write(tmp_path / "good.py", SEEDED)
    assert run("--select", "DLP201", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert f"{bad}: skipped: {reason}" in err
    assert bad.read_bytes() == data
    assert good.read_text() == SEEDED_FIXED  # the run went on


def test_file_changed_on_disk_is_left_alone(tmp_path, capsys, monkeypatch):
    f = write(tmp_path / "a.py", SEEDED)
    real_fix = cli.fix_text

    def racing(*args, **kwargs):
        outcome = real_fix(*args, **kwargs)
        f.write_text(SEEDED + "# edited meanwhile\n")
        return outcome
    monkeypatch.setattr(cli, "fix_text", racing)
    assert run("--select", "DLP201", str(f)) == 2
    assert "changed on disk while being fixed; left alone" in capsys.readouterr().err
    assert f.read_text() == SEEDED + "# edited meanwhile\n"


def test_failed_write_leaves_original_and_no_temp_file(tmp_path, capsys, monkeypatch):
    f = write(tmp_path / "a.py", SEEDED)

    def boom(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(cli.os, "replace", boom)
    assert run("--select", "DLP201", str(f)) == 2
    assert "cannot write: No space left on device" in capsys.readouterr().err
    assert f.read_text() == SEEDED
    assert [p.name for p in tmp_path.iterdir()] == ["a.py"]


def test_libcst_parse_failure_is_reported_not_fixable(tmp_path, capsys, monkeypatch):
    from flake8_dlpractice.fixes import apply

    def refuse(text):
        raise apply.CstParseError("libcst cannot parse it (line 1: tokenizer error)")
    monkeypatch.setattr(apply, "parse_module", refuse)
    f = write(tmp_path / "a.py", SEEDED)
    assert run("--select", "DLP201", str(f)) == 1
    out = capsys.readouterr()
    assert f"{f}: not fixable: libcst cannot parse it (line 1: tokenizer error)" in out.err
    assert f"{f}:3:1: DLP201" in out.out
    assert f.read_text() == SEEDED


def test_excludes(tmp_path):
    inside = write(tmp_path / "venv" / "lib.py", SEEDED)
    build = write(tmp_path / "pkg" / "build" / "x.py", SEEDED)
    gen = write(tmp_path / "pkg" / "gen_model.py", SEEDED)
    keep = write(tmp_path / "pkg" / "train.py", SEEDED)
    run("-q", "--select", "DLP201", "--exclude", "gen_*.py", str(tmp_path))
    assert inside.read_text() == SEEDED and build.read_text() == SEEDED and gen.read_text() == SEEDED
    assert keep.read_text() == SEEDED_FIXED
    run("-q", "--select", "DLP201", str(gen))  # named explicitly: always processed
    assert gen.read_text() == SEEDED_FIXED


def test_parallel_jobs_give_the_same_result(tmp_path, capsys):
    for i in range(6):
        write(tmp_path / "one" / f"f{i}.py", SEEDED if i % 2 else COMPILED)
        write(tmp_path / "two" / f"f{i}.py", SEEDED if i % 2 else COMPILED)
    assert run("-q", "--select", "DLP201,DLP500", str(tmp_path / "one")) == 1
    one = capsys.readouterr().out
    assert run("-q", "-j", "3", "--select", "DLP201,DLP500", str(tmp_path / "two")) == 1
    two = capsys.readouterr().out
    assert one.replace("/one/", "/") == two.replace("/two/", "/")
    for i in range(6):
        assert (tmp_path / "one" / f"f{i}.py").read_bytes() == (tmp_path / "two" / f"f{i}.py").read_bytes()


# --- stdin ----------------------------------------------------------------------------------------

def _stdin(args: list[str], data: bytes) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8_dlpractice.cli.fix", *args], input=data,
                          capture_output=True, check=False)


def test_stdin_to_stdout():
    done = _stdin(["--select", "DLP201", "-"], SEEDED.encode())
    assert done.returncode == 0 and done.stdout == SEEDED_FIXED.encode()
    done = _stdin(["--select", "DLP500", "--stdin-filename", "train.py", "-"], COMPILED.encode())
    assert done.returncode == 1 and done.stdout == COMPILED.encode()
    assert b"train.py:4:9: DLP500" in done.stderr
    done = _stdin(["--select", "DLP201", "--diff", "-"], SEEDED.encode())
    assert done.returncode == 1 and done.stdout.startswith(b"--- -\n+++ -\n")


def test_stdin_syntax_error_echoes_input():
    done = _stdin(["-"], b"def f(:\n")
    assert done.returncode == 2 and done.stdout == b"def f(:\n"
    assert b"-: skipped: syntax error" in done.stderr


def test_console_script_is_installed():
    exe = Path(sys.executable).with_name("dlp-fix")
    done = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.startswith("dlp-fix ")


# --- rounds and verification (synthetic rules) -----------------------------------------------------

class _Synthetic(Rule):
    """Flags every call of ``name``; its fix is given by ``make``."""

    code, name, summary, section = "DLP990", "synthetic", "", ""

    def __init__(self, code, target, make):
        self.code, self.target, self.make = code, target, make

    def check(self, facts):
        for node in ast.walk(facts.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == self.target:
                stmt = next(s for s in ast.walk(facts.tree)
                            if isinstance(s, (ast.Expr, ast.Assign)) and s.value is node)
                fix = self.make(node, stmt)
                yield Finding(node.lineno, node.col_offset, self.code, f"{self.target}()", fix)


def _span(node):
    return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)


def _replace(code):
    return lambda node, stmt: Fix("safe", "replace-expression", _span(node), (("replacement", code),))


def _fix(text, *rules, unsafe=True):
    return fix_text(text, "t.py", list(rules), unsafe=unsafe)


@pytest.fixture(autouse=True)
def _facts_always_relevant(monkeypatch):
    """Synthetic modules do not import torch; let the engine run rules on them anyway."""
    from flake8_dlpractice import engine

    real = engine.build_facts

    def build(tree, settings):
        facts = real(tree, settings)
        facts.relevant = True
        facts.tree = tree
        return facts
    monkeypatch.setattr(engine, "build_facts", build)


def test_fix_that_does_not_resolve_its_finding_is_refused():
    rule = _Synthetic("DLP990", "bad", lambda n, s: Fix("safe", "insert-after", _span(s),
                                                        (("code", "x = 1"),)))
    outcome = _fix("bad()\n", rule)
    assert outcome.text == "bad()\n" and not outcome.fixed
    assert list(outcome.not_fixed.values()) == ["the fix would not remove the DLP990 finding"]


def test_fix_that_introduces_an_unfixable_finding_is_refused():
    a = _Synthetic("DLP990", "a", _replace("b()"))
    b = _Synthetic("DLP991", "b", lambda n, s: None)
    outcome = _fix("a()\n", a, b)
    assert outcome.text == "a()\n"
    assert list(outcome.not_fixed.values()) == ["the fix would introduce a DLP991 finding"]


def test_cascading_fixes_run_in_rounds():
    a = _Synthetic("DLP990", "a", _replace("b()"))
    b = _Synthetic("DLP991", "b", _replace("c()"))
    outcome = _fix("a()\n", a, b)
    assert outcome.text == "c()\n" and outcome.rounds == 2 and not outcome.remaining


class _NeedsWith(Rule):
    """Flags ``x()`` in a module without any ``with``; the fix wraps the first statement."""

    code, name, summary, section = "DLP991", "needs-with", "", ""

    def check(self, facts):
        tree = facts.tree
        if any(isinstance(n, ast.With) for n in ast.walk(tree)):
            return
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "x":
                yield Finding(node.lineno, node.col_offset, self.code, "x() without with",
                              Fix("safe", "wrap-with", _span(tree.body[0]), (("context", "ctx()"),)))


def test_overlapping_fixes_are_applied_over_several_rounds():
    a = _Synthetic("DLP990", "a", _replace("b()"))
    outcome = _fix("for i in r:\n    a()\n    x()\n", a, _NeedsWith())
    assert outcome.text == "with ctx():\n    for i in r:\n        b()\n        x()\n"
    assert outcome.rounds == 2 and not outcome.remaining and len(outcome.fixed) == 2


def test_fix_producing_invalid_code_is_refused():
    rule = _Synthetic("DLP990", "a", lambda n, s: Fix("safe", "replace-expression", _span(s.targets[0]),
                                                      (("replacement", "f()"),)))
    outcome = _fix("x = a()\n", rule)  # libcst accepts `f() = a()`, CPython does not
    assert outcome.text == "x = a()\n"
    assert "would not parse" in list(outcome.not_fixed.values())[0]


def test_unsafe_fix_needs_unsafe_flag():
    rule = _Synthetic("DLP990", "a", lambda n, s: Fix("unsafe", "remove-statement", _span(s)))
    assert _fix("a()\nb = 1\n", rule, unsafe=False).text == "a()\nb = 1\n"
    assert _fix("a()\nb = 1\n", rule, unsafe=True).text == "b = 1\n"


def test_several_fixes_one_bad_the_good_ones_still_apply():
    good = _Synthetic("DLP990", "g", lambda n, s: Fix("safe", "remove-statement", _span(s)))
    bad = _Synthetic("DLP991", "h", lambda n, s: Fix("safe", "insert-after", _span(s), (("code", "q = 1"),)))
    outcome = _fix("g()\nh()\ng()\n", good, bad)
    assert outcome.text == "h()\n"
    assert [f.code for f in outcome.remaining] == ["DLP991"]


def test_mixed_tabs_file_cpython_accepts_is_not_fixable_and_the_run_goes_on(tmp_path, capsys):
    # CPython accepts this indentation (a tab-indented body under a space-indented `if`); libcst does not
    mixed = ("import torch\n\ntorch.manual_seed(0)\nx = torch.nn.Conv1d(2, 2, 1).cuda()\n"
             "for c in x:\n    if c > 1:\n\t    break\n    y = 1\n")
    ast.parse(mixed)
    bad = write(tmp_path / "a_mixed.py", mixed)
    good = write(tmp_path / "b_good.py", SEEDED)
    assert run("--select", "DLP201", str(tmp_path)) == 1
    out = capsys.readouterr()
    assert f"{bad}: not fixable: libcst cannot parse it (line " in out.err
    assert f"{bad}:3:1: DLP201" in out.out
    assert bad.read_text() == mixed and good.read_text() == SEEDED_FIXED


def test_libcst_round_trip_loss_outside_the_fix_is_refused(tmp_path, capsys):
    # libcst drops one of two whitespace-only lines before a trailing comment block (seen in a real
    # converted notebook): the fix must not silently change those lines
    tail = "main()    \n        \n        \n\n\n# In[ ]:\n\n\n\n\n"
    src = SEEDED + tail
    f = write(tmp_path / "a.py", src)
    assert run("--select", "DLP201", str(f)) == 1
    assert "not fixable: libcst does not reproduce it exactly" in capsys.readouterr().err
    assert f.read_text() == src


class _Prepare(Rule):
    """Flags ``p()`` while the module calls no ``prepared()``; the fix inserts two such lines."""

    code, name, summary, section = "DLP992", "prepare", "", ""

    def check(self, facts):
        calls = [n for n in ast.walk(facts.tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
        if any(c.func.id == "prepared" for c in calls):
            return
        for node in calls:
            if node.func.id == "p":
                stmt = next(s for s in facts.tree.body if isinstance(s, ast.Expr) and s.value is node)
                yield Finding(node.lineno, node.col_offset, self.code, "p() unprepared",
                              Fix("safe", "insert-before", _span(stmt), (("code", "prepared()\nprepared()"),),
                                  title="insert two prepared() calls"))


class _AfterPrepare(Rule):
    """Flags ``q()`` once the module calls ``prepared()`` (revealed by _Prepare's fix)."""

    code, name, summary, section = "DLP993", "after-prepare", "", ""

    def check(self, facts):
        calls = [n for n in ast.walk(facts.tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
        if not any(c.func.id == "prepared" for c in calls):
            return
        for node in calls:
            if node.func.id == "q":
                yield Finding(node.lineno, node.col_offset, self.code, f"q() near {line_ref(node.lineno, 'q')}",
                              Fix("safe", "replace-expression", _span(node), (("replacement", "r()"),)))


def test_fixes_of_later_rounds_are_told_at_input_positions():
    # round 1 inserts two lines above q(); the q() fix of round 2 is shown at the input's line 3
    outcome = _fix("p()\nx = 1\nq()\n", _Prepare(), _AfterPrepare())
    assert outcome.text == "prepared()\nprepared()\np()\nx = 1\nr()\n" and outcome.rounds == 2
    assert [(f.code, f.line, f.col, f.message) for f in outcome.fixed] == [
        ("DLP992", 1, 0, "p() unprepared"), ("DLP993", 3, 0, "q() near line 3")]


def test_show_fixes_with_check_prints_input_positions_and_titles(tmp_path, capsys, monkeypatch):
    f = write(tmp_path / "a.py", "p()\nx = 1\nq()\n")
    monkeypatch.setattr(cli, "configured", lambda path, options, project: (options, [_Prepare(), _AfterPrepare()]))
    assert run("--check", "--show-fixes", str(f)) == 1
    out = capsys.readouterr().out
    assert out == (f"Would fix {f} (2 fixes: DLP992, DLP993)\n"
                   f"Would fix {f}:1:1: DLP992 insert two prepared() calls\n"  # the fix's title
                   f"Would fix {f}:3:1: DLP993 q() near line 3\n")  # no title: the message
    assert f.read_text() == "p()\nx = 1\nq()\n"


def test_verbose_names_the_title_of_a_fix_not_applied(tmp_path, capsys, monkeypatch):
    f = write(tmp_path / "a.py", "bad()\n")
    rule = _Synthetic("DLP990", "bad", lambda n, s: Fix("safe", "insert-after", _span(s), (("code", "x = 1"),),
                                                        title="add x"))
    monkeypatch.setattr(cli, "configured", lambda path, options, project: (options, [rule]))
    assert run("-v", str(f)) == 1
    assert (f"{f}:1: DLP990 not fixed (add x): the fix would not remove the DLP990 finding"
            in capsys.readouterr().err)
