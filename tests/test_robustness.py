"""Never crash the host (issue 2, item 8).

- Expressions nested thousands deep (real Kaggle code has them) go through the engine without
  Python recursion proportional to their depth, and through the real flake8 and pylint commands.
- The engine checks every ``.py`` file of the running interpreter's stdlib and installed packages.
- Bad input (syntax errors, non-UTF-8 bytes, BOM + CRLF, empty files, null bytes, a huge file)
  is handled as each host expects, and the other files of the same invocation are still reported.
- An exception inside one rule is reported on stderr (rule code and file) and the other rules run.

What the hosts themselves do with the deepest inputs is asserted precisely, because it is not
ours to fix: pyflakes (which flake8 always runs, whatever ``--select`` says) raises
RecursionError and flake8 aborts the whole run; flake8 itself crashes when ``ast.parse`` raises
RecursionError; astroid cannot build such modules and pylint reports ``astroid-error`` for them.
"""
from __future__ import annotations

import ast
import io
import json
import multiprocessing
import os
import subprocess
import sys
import sysconfig
import time
import warnings
from contextlib import redirect_stderr
from pathlib import Path

import pytest

from flake8_dlpractice import engine
from flake8_dlpractice.engine import check_source, check_tree
from flake8_dlpractice.rules import ALL_RULES, RULES_BY_CODE

ROOT = Path(__file__).resolve().parent.parent
PYLINT_PLUGIN = "--load-plugins=flake8_dlpractice.pylint_plugin"

# A module with exactly one known default finding: DLP100 on its last line.
LEAK = """\
from sklearn.model_selection import train_test_split
from sklearn.ensemble import RandomForestClassifier

X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=0)
clf = RandomForestClassifier(random_state=0)
clf.fit(X_te, y_te)
"""
LEAK_LINE = 6
# Comparisons look at this code only (plus the hosts' own messages): other rules may rightly
# have something to say about the generated files, and rules are added all the time.
CODE = "DLP100"

N = 2000  # terms / nesting of the generated deep expressions


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, RecursionError, MemoryError):
        return False
    return True


def _deepest(make) -> str:
    """``make(n)`` for the deepest nesting ``n <= N`` that ``ast.parse`` accepts (the tokenizer
    allows 200 levels of brackets)."""
    if _parses(make(N)):
        return make(N)
    low, high = 1, N  # parses at low, not at high
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if _parses(make(mid)) else (low, mid)
    return make(low)


def _nested_defs(n: int) -> str:
    lines = []
    for i in range(n):
        pad = "    " * i
        lines += [f"{pad}def level_{i}(model, loader, optimizer):",
                  f"{pad}    for x, y in loader:",
                  f"{pad}        optimizer.zero_grad()",
                  f"{pad}        model(x).sum().backward()",
                  f"{pad}        optimizer.step()"]
    return "\n".join(lines) + "\n"


DEEP = {
    # the Kaggle case from the issue: a 2,000-term left-nested BinOp
    "binop_chain": lambda: "x = " + " + ".join(["[255]*8"] + ["[245]"] * (N - 1)),
    "string_concat": lambda: "s = " + " + ".join(f"'s{i}'" for i in range(N)),
    "power_right_nested": lambda: "y = " + " ** ".join(["2"] * N),
    "unary_minus": lambda: "y = " + "-" * N + "1",
    "not_not": lambda: "y = " + "not " * N + "x",
    "attribute_chain": lambda: "y = torch" + ".a" * N,
    "subscript_chain": lambda: "y = x" + "[0]" * N,
    "call_chain": lambda: "y = f" + "()" * N,
    "method_chain": lambda: "y = df" + ".f()" * N,
    "if_expression": lambda: "y = " + " ".join(f"a{i} if c{i} else" for i in range(N)) + " z",
    "lambda_nest": lambda: "f = " + "lambda: " * N + "1",
    "boolop": lambda: "ok = " + " and ".join(f"(a{i} or b{i})" for i in range(N)),
    "compare": lambda: "ok = " + " < ".join(f"a{i}" for i in range(N)),
    "parentheses": lambda: _deepest(lambda n: "x = " + "(" * n + "torch.zeros(1)" + ")" * n),
    "nested_calls": lambda: _deepest(lambda n: "x = " + "torch.relu(" * n + "torch.zeros(1)" + ")" * n),
    "nested_lists": lambda: _deepest(lambda n: "x = " + "[" * n + "torch.zeros(1)" + "]" * n),
    "nested_blocks": lambda: "".join("    " * i + f"if c{i}:\n" for i in range(99))
    + "    " * 99 + "model = torch.compile(model)",
    "nested_defs": lambda: _nested_defs(60),
    # an elif chain is an If nested in the orelse of the previous one: 2,000 deep without indentation
    "elif_chain": lambda: "if c0:\n    pass\n" + "".join(
        f"elif c{i}:\n    torch.manual_seed({i})\n" for i in range(1, N)),
}


def deep_source(case: str) -> str:
    return "import torch\n" + DEEP[case]().rstrip("\n") + "\n" + LEAK


def deep_leak_line(source: str) -> int:
    return source.count("\n")


def _frames() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    return depth


def _findings(found, code: str | None = None) -> set[tuple[int, str]]:
    return {(f.line, f.code) for f in found if code is None or f.code == code}


# -- deep expressions through the engine --------------------------------------------------------

@pytest.mark.parametrize("case", sorted(DEEP))
def test_deep_nesting_engine(case, capsys):
    source = deep_source(case)
    findings = check_source(source, f"deep_{case}.py", rules=ALL_RULES)
    err = capsys.readouterr().err
    assert "internal error" not in err, err
    if _parses(source):
        assert (deep_leak_line(source), "DLP100") in _findings(findings)
    else:  # CPython's own parser gives up ("recursion depth exceeded during ast construction")
        assert findings == []


def test_the_issue_case_parses():
    """The 2,000-term chain is valid Python: the deep test above really runs the analysis on it."""
    assert _parses(deep_source("binop_chain"))


@pytest.mark.parametrize("case", sorted(DEEP))
def test_deep_nesting_needs_bounded_stack(case, capsys):
    """With only 600 frames of head-room the analysis still completes on 2,000-deep input: its
    stack use is bounded by a constant (the expression-depth cap and the 100 indentation levels the
    tokenizer allows), not by the depth of the tree."""
    source = deep_source(case)
    try:
        tree = ast.parse(source)
    except RecursionError:
        pytest.skip(f"CPython's parser rejects {case!r} (recursion during ast construction)")
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(_frames() + 600)
    try:
        findings = check_tree(tree, f"deep_{case}.py", rules=ALL_RULES)
    finally:
        sys.setrecursionlimit(old)
    err = capsys.readouterr().err
    assert "internal error" not in err, err
    assert (deep_leak_line(source), "DLP100") in _findings(findings)


# -- deep expressions through the real flake8 and pylint commands --------------------------------

FLAKE8_FORMAT = "--format=%(path)s\t%(row)d\t%(col)d\t%(code)s\t%(text)s"

# flake8 with pyflakes removed: shows what our plugin does inside flake8 on inputs pyflakes
# cannot handle (flake8 has no option to turn a plugin off).
FLAKE8_WITHOUT_PYFLAKES = """\
import sys
from flake8.plugins import finder
_find = finder.find_plugins
finder.find_plugins = lambda cfg, opts: [p for p in _find(cfg, opts) if p.package != "pyflakes"]
from flake8.main.cli import main
sys.exit(main())
"""


def run_flake8(args, cwd, prelude=None, stdin=None):
    head = [sys.executable, "-c", prelude] if prelude else [sys.executable, "-m", "flake8"]
    return subprocess.run([*head, "--isolated", FLAKE8_FORMAT, *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, input=stdin, timeout=300)


def flake8_found(proc, strict: bool = True) -> dict[str, set[tuple[int, str]]]:
    """{file name: {(line, code)}} from our tab-separated format; with ``strict`` every line of
    stdout must be a finding (flake8 prints plugin failures on stdout)."""
    out: dict[str, set[tuple[int, str]]] = {}
    for line in proc.stdout.splitlines():
        if line.count("\t") < 4:
            assert not strict, proc.stdout
            continue
        path, row, _col, code, _text = line.split("\t", 4)
        out.setdefault(Path(path).name, set()).add((int(row), code))
    return out


def run_pylint(args, cwd, enable="test-data-in-fitting", prelude=None):
    head = [sys.executable, "-c", prelude] if prelude else [sys.executable, "-m", "pylint"]
    return subprocess.run([*head, PYLINT_PLUGIN, "--disable=all", f"--enable={enable}",
                           "--output-format=json", "--score=n", "--persistent=n", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


def pylint_found(proc) -> dict[str, set[tuple[int, str]]]:
    out: dict[str, set[tuple[int, str]]] = {}
    for msg in json.loads(proc.stdout or "[]"):
        code = msg["message"].split(" ", 1)[0] if msg["message"].startswith("DLP") else msg["symbol"]
        out.setdefault(Path(msg["path"]).name, set()).add((msg["line"], code))
    return out


def assert_not_ours(stderr: str) -> None:
    assert "dlpractice" not in stderr, stderr
    assert "internal error" not in stderr, stderr


@pytest.fixture(scope="module")
def deep_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("deep")
    for case in DEEP:
        (folder / f"deep_{case}.py").write_text(deep_source(case), encoding="utf-8")
    (folder / "good.py").write_text(LEAK, encoding="utf-8")
    return folder


def test_deep_flake8_as_shipped(deep_dir):
    """The issue's case through the real flake8: pyflakes (always run by flake8, whatever --select
    says) hits RecursionError and flake8 aborts the run, naming pyflakes. Our plugin is not
    involved; if a future pyflakes copes, both files' findings must be there."""
    proc = run_flake8([f"--select={CODE}", "-j1", "deep_binop_chain.py", "good.py"], deep_dir)
    output = proc.stdout + proc.stderr
    assert_not_ours(output)
    assert '"flake8-dlpractice[DLP]" failed' not in output
    if 'deep_binop_chain.py: "pyflakes[F]" failed during execution due to RecursionError' in proc.stdout:
        assert proc.returncode == 1
        assert flake8_found(proc, strict=False) == {}  # the whole run is aborted
    else:
        assert proc.returncode == 1, proc.stderr
        chain_line = deep_leak_line(deep_source("binop_chain"))
        assert flake8_found(proc) == {"deep_binop_chain.py": {(chain_line, CODE)},
                                      "good.py": {(LEAK_LINE, CODE)}}


def test_deep_flake8_shallow_enough_for_pyflakes(deep_dir):
    """Where pyflakes copes (the deepest parentheses/calls the tokenizer allows, long flat
    BoolOp/Compare, 99 nested blocks), the real flake8 reports our findings in all files."""
    cases = ["parentheses", "nested_calls", "nested_lists", "boolop", "compare", "nested_blocks"]
    files = [f"deep_{c}.py" for c in cases]
    proc = run_flake8([f"--select={CODE}", *files, "good.py"], deep_dir)
    assert proc.returncode == 1, proc.stderr
    assert_not_ours(proc.stderr)
    expected = {f: {(deep_leak_line(deep_source(c)), "DLP100")} for f, c in zip(files, cases)}
    expected["good.py"] = {(LEAK_LINE, "DLP100")}
    assert flake8_found(proc) == expected


def test_deep_flake8_plugin_without_pyflakes(deep_dir):
    """Inside flake8 (multiprocessing, as users run it) our plugin handles every deep file whose
    source CPython can parse, and reports the finding that follows the deep expression."""
    cases = sorted(c for c in DEEP if _parses(deep_source(c)))
    files = [f"deep_{c}.py" for c in cases]
    proc = run_flake8([f"--select={CODE}", "-j2", *files, "good.py"], deep_dir,
                      prelude=FLAKE8_WITHOUT_PYFLAKES)
    assert proc.returncode == 1, proc.stderr
    assert_not_ours(proc.stderr)
    expected = {f: {(deep_leak_line(deep_source(c)), "DLP100")} for f, c in zip(files, cases)}
    expected["good.py"] = {(LEAK_LINE, "DLP100")}
    assert flake8_found(proc) == expected


def test_deep_flake8_core_parse_recursion(deep_dir):
    """Where CPython's parser itself gives up (a 2,000-call method chain on 3.11), flake8's own
    ``processor.build_ast`` raises RecursionError before any plugin runs."""
    unparsable = sorted(c for c in DEEP if not _parses(deep_source(c)))
    if not unparsable:
        pytest.skip("this CPython parses every generated deep file")
    proc = run_flake8(["--select=DLP", "-j1", f"deep_{unparsable[0]}.py"], deep_dir)
    assert_not_ours(proc.stderr)
    assert proc.returncode != 0
    assert "RecursionError" in proc.stderr
    assert "build_ast" in proc.stderr


def test_deep_pylint(deep_dir):
    """pylint keeps going over every deep file: where astroid can build the module our checker
    reports the finding after the deep expression; where astroid cannot, pylint reports its own
    astroid-error (or syntax-error, when CPython's parser gives up) and moves on."""
    files = [f"deep_{c}.py" for c in sorted(DEEP)]
    proc = run_pylint([*files, "good.py"], deep_dir, enable="test-data-in-fitting,astroid-error,syntax-error")
    assert_not_ours(proc.stderr)
    found = pylint_found(proc)
    assert found.get("good.py") == {(LEAK_LINE, "DLP100")}
    host_errors = 0
    for case in sorted(DEEP):
        source = deep_source(case)
        got = found.get(f"deep_{case}.py", set())
        if got == {(deep_leak_line(source), "DLP100")}:
            continue
        host_errors += 1
        assert len(got) == 1 and next(iter(got))[1] in ("astroid-error", "syntax-error"), (case, got)
    # the shallow-enough ones must have gone through our checker
    for case in ("parentheses", "nested_calls", "boolop", "compare", "nested_blocks"):
        assert found.get(f"deep_{case}.py") == {(deep_leak_line(deep_source(case)), "DLP100")}, case
    assert host_errors < len(DEEP)


# -- every .py file of the running interpreter ---------------------------------------------------

SIZE_CAP = 8_000_000  # bytes; the largest file in a typical venv is a few MB of data literals


def interpreter_files() -> tuple[list[str], list[str]]:
    """stdlib + purelib/platlib of the running interpreter. A ``site-packages`` inside the stdlib
    directory that is not purelib/platlib (a virtualenv's base interpreter) is not walked."""
    paths = sysconfig.get_paths()
    roots: list[str] = []
    for key in ("stdlib", "purelib", "platlib"):
        path = os.path.realpath(paths[key])
        if os.path.isdir(path) and path not in roots:
            roots.append(path)
    files: set[str] = set()
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d != "__pycache__" and not (
                d in ("site-packages", "dist-packages")
                and os.path.realpath(os.path.join(dirpath, d)) not in roots)]
            files.update(os.path.join(dirpath, n) for n in filenames if n.endswith(".py"))
    return roots, sorted(files)


def _check_one(path: str) -> tuple[str, str | None, str, int]:
    """(path, exception or None, captured stderr, lines) for one file."""
    err = io.StringIO()
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return path, f"unreadable: {exc}", "", 0
    try:
        with redirect_stderr(err):
            check_source(data, path, rules=ALL_RULES)
    except BaseException as exc:  # noqa: BLE001 - that is what the test looks for
        return path, f"{type(exc).__name__}: {exc}", err.getvalue(), 0
    return path, None, err.getvalue(), data.count(b"\n")


def test_every_interpreter_file():
    roots, files = interpreter_files()
    assert len(files) > 500, roots
    too_big = [f for f in files if os.path.getsize(f) > SIZE_CAP]
    if too_big:
        warnings.warn(f"{len(too_big)} files over {SIZE_CAP:,} bytes not checked: {too_big[:5]}")
    todo = [f for f in files if f not in set(too_big)]
    start = time.perf_counter()
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    with multiprocessing.get_context(method).Pool(2) as pool:
        results = pool.map(_check_one, todo, chunksize=16)
    elapsed = time.perf_counter() - start
    crashed = [(p, exc) for p, exc, _, _ in results if exc]
    noisy = [(p, err) for p, _, err, _ in results if err.strip()]
    assert not crashed, crashed[:10]
    assert not noisy, noisy[:10]
    lines = sum(n for *_, n in results)
    print(f"{len(results)} files, {lines:,} lines checked in {elapsed:.1f} s ({', '.join(roots)})")


# -- bad input through the real commands and the engine ------------------------------------------

def _huge() -> str:
    out = ["import torch", ""]
    i = 0
    while len(out) < 50_000 - 8:
        out += [f"def step_{i}(model, batch, optimizer):", "    optimizer.zero_grad()",
                "    loss = model(batch).mean()", "    loss.backward()", "    optimizer.step()",
                "    return loss.item()", ""]
        i += 1
    return "\n".join(out) + "\n" + LEAK


BAD = {
    "syntax_error.py": b"import torch\ndef f(:\n    pass\n",
    "latin1_no_cookie.py": LEAK.encode() + b"s = '\xe9t\xe9'\n",
    "latin1_cookie.py": b"# -*- coding: latin-1 -*-\n" + LEAK.encode() + b"s = '\xe9t\xe9'\n",
    "bom_crlf.py": b"\xef\xbb\xbf" + LEAK.replace("\n", "\r\n").encode(),
    "empty.py": b"",
    "only_comments.py": b"# nothing here\n# import torch\n",
    "null_bytes.py": b"import torch\nx = 1\x00\x00\n",
    "huge.py": _huge().encode(),
}
HUGE_LEAK = _huge().count("\n")

# What each host does with each file (DLP100 = our finding at that line).
ENGINE = {
    "syntax_error.py": set(),
    "latin1_no_cookie.py": set(),  # not valid Python source: ast.parse rejects the bytes
    "latin1_cookie.py": {(LEAK_LINE + 1, "DLP100")},
    "bom_crlf.py": {(LEAK_LINE, "DLP100")},
    "empty.py": set(),
    "only_comments.py": set(),
    "null_bytes.py": set(),
    "huge.py": {(HUGE_LEAK, "DLP100")},
}
FLAKE8 = {
    **ENGINE,
    "syntax_error.py": {(2, "E999")},
    # flake8 falls back to latin-1 when a file is not UTF-8 and checks the decoded text
    "latin1_no_cookie.py": {(LEAK_LINE, "DLP100")},
    "null_bytes.py": {(1, "E999")},
    "good.py": {(LEAK_LINE, "DLP100")},
}
PYLINT = {
    **ENGINE,
    "syntax_error.py": {(2, "syntax-error")},
    "latin1_no_cookie.py": {(1, "parse-error")},
    "null_bytes.py": {(1, "syntax-error")},
    "good.py": {(LEAK_LINE, "DLP100")},
}


@pytest.fixture(scope="module")
def bad_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    for name, data in BAD.items():
        (folder / name).write_bytes(data)
    (folder / "good.py").write_text(LEAK, encoding="utf-8")
    return folder


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_engine(name, capsys):
    data = BAD[name]
    assert _findings(check_source(data, name), CODE) == ENGINE[name]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if text is not None and "\x00" not in text and name != "huge.py":  # same text as str too
        assert _findings(check_source(text, name), CODE) == ENGINE[name]
    assert capsys.readouterr().err == ""


def test_bad_input_flake8(bad_dir):
    """One flake8 run over every bad file and a good one: E999 where the host reports syntax
    errors, our findings everywhere else, at the right lines (BOM + CRLF, coding cookie)."""
    names = sorted(BAD)
    expected = dict(FLAKE8)
    if sys.version_info < (3, 11):
        # seen on Python 3.9 with flake8 7.3 (the newest there): flake8 itself crashes on null
        # bytes (CPython raises ValueError, flake8 catches SyntaxError only), before any plugin runs
        names.remove("null_bytes.py")
        del expected["null_bytes.py"]
    proc = run_flake8([f"--select={CODE},E9", *names, "good.py"], bad_dir)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
    found = flake8_found(proc)
    assert {name: found.get(name, set()) for name in expected} == expected


def test_bad_input_pylint(bad_dir):
    proc = run_pylint([*sorted(BAD), "good.py"], bad_dir)
    assert_not_ours(proc.stderr)
    assert "Traceback" not in proc.stderr
    found = pylint_found(proc)
    assert {name: found.get(name, set()) for name in PYLINT} == PYLINT


def test_bad_input_flake8_stdin():
    """Editors pipe the buffer: an unparsable buffer gives E999, not a crash."""
    proc = run_flake8(["--select=DLP,E9", "--stdin-display-name=train.py", "-"], ROOT,
                      stdin="import torch\ndef f(:\n")
    assert proc.stderr == ""
    assert flake8_found(proc) == {"train.py": {(2, "E999")}}


# -- one failing rule does not stop the others ---------------------------------------------------

TWO_RULES = """\
import torch
from sklearn.model_selection import train_test_split
from sklearn.ensemble import RandomForestClassifier

torch.manual_seed(0)
X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2)
clf = RandomForestClassifier()
clf.fit(X_te, y_te)
"""


def _boom(self, facts):
    raise RuntimeError("injected failure")


def test_failing_rule_engine(monkeypatch, capsys):
    baseline = _findings(check_source(TWO_RULES, "two.py"))
    assert (8, "DLP100") in baseline and {c for _, c in baseline} - {"DLP100"}, baseline
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(type(RULES_BY_CODE["DLP100"]), "check", _boom)
    found = _findings(check_source(TWO_RULES, "two.py"))
    assert found == {f for f in baseline if f[1] != "DLP100"}
    err = capsys.readouterr().err
    assert err.count("internal error") == 1, err
    assert "rule DLP100" in err and "two.py" in err and "RuntimeError: injected failure" in err


def test_failing_analysis_engine(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise ValueError("facts broke")
    monkeypatch.setattr(engine, "build_facts", broken)
    assert check_source(TWO_RULES, "two.py") == []
    err = capsys.readouterr().err
    assert "internal error in the analysis while checking two.py" in err
    assert "ValueError: facts broke" in err


INJECT = """\
import sys
from flake8_dlpractice.rules import RULES_BY_CODE
def boom(self, facts):
    raise RuntimeError("injected failure")
type(RULES_BY_CODE["DLP100"]).check = boom
"""


def test_failing_rule_flake8(tmp_path):
    """Through the real flake8 (two processes): the other rules' findings in the same file and
    in another file are all still reported; the failure is one clear line on stderr."""
    (tmp_path / "two.py").write_text(TWO_RULES, encoding="utf-8")
    (tmp_path / "good.py").write_text(LEAK, encoding="utf-8")
    args = ["--select=DLP", "-j2", "two.py", "good.py"]
    baseline = flake8_found(run_flake8(args, tmp_path))
    assert (8, "DLP100") in baseline["two.py"] and {c for _, c in baseline["two.py"]} - {"DLP100"}
    prelude = INJECT + "from flake8.main.cli import main\nsys.exit(main())\n"
    proc = run_flake8(args, tmp_path, prelude=prelude)
    assert proc.returncode == 1, proc.stderr
    expected = {name: {f for f in got if f[1] != "DLP100"} for name, got in baseline.items()}
    assert flake8_found(proc) == {name: got for name, got in expected.items() if got}
    assert "internal error in rule DLP100 while checking two.py" in proc.stderr
    assert "internal error in rule DLP100 while checking good.py" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_failing_rule_pylint(tmp_path):
    (tmp_path / "two.py").write_text(TWO_RULES, encoding="utf-8")
    default = ",".join(r.name for r in ALL_RULES if r.default)
    baseline = pylint_found(run_pylint(["two.py"], tmp_path, enable=default))
    assert (8, "DLP100") in baseline["two.py"] and {c for _, c in baseline["two.py"]} - {"DLP100"}
    prelude = INJECT + "import pylint\npylint.run_pylint()\n"
    proc = run_pylint(["two.py"], tmp_path, enable=default, prelude=prelude)
    assert pylint_found(proc) == {"two.py": {f for f in baseline["two.py"] if f[1] != "DLP100"}}
    assert "internal error in rule DLP100 while checking" in proc.stderr and "two.py" in proc.stderr
    assert "Traceback" not in proc.stderr
