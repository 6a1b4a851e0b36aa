"""Every action of the Fix vocabulary, on synthetic findings (no rule needed)."""
from __future__ import annotations

import ast

import pytest

from flake8_dlpractice.fixes.apply import apply_round
from flake8_dlpractice.rules.base import Finding, Fix


def span(src: str, text: str, nth: int = 0) -> tuple[int, int, int, int]:
    """The ast-style span (1-based lines, UTF-8 byte columns) of the nth occurrence of text."""
    idx = -1
    for _ in range(nth + 1):
        idx = src.index(text, idx + 1)
    head, whole = src[:idx], src[:idx + len(text)]
    line = head.count("\n") + 1
    col = len(head.rsplit("\n", 1)[-1].encode("utf-8"))
    end_line = whole.count("\n") + 1
    end_col = len(whole.rsplit("\n", 1)[-1].encode("utf-8"))
    return line, col, end_line, end_col


def fix(action: str, src: str, text: str, nth: int = 0, **data: str) -> Fix:
    return Fix("safe", action, span(src, text, nth), tuple(data.items()))


def run(src: str, *fixes: Fix, deferred: int = 0, errors: int = 0) -> str:
    """Apply through both locating paths: whole-module positions, and (with the ast tree)
    positions of the touched top-level statements only; both must give the same result."""
    findings = [Finding(1, 0, "DLP999", "test", f) for f in fixes]
    result = apply_round(src, findings)
    partial = apply_round(src, findings, tree=ast.parse(src))
    assert partial.text == result.text
    assert [f for f, _ in partial.errors] == [f for f, _ in result.errors]
    assert len(result.errors) == errors, result.errors
    assert len(result.deferred) == deferred
    ast.parse(result.text)
    return result.text


# --- replace-expression ------------------------------------------------------------------------

def test_replace_expression_replacement():
    src = "x = torch.compile(m)  # keep\n"
    assert run(src, fix("replace-expression", src, "torch.compile(m)", replacement="m")) == "x = m  # keep\n"


def test_replace_expression_template_keeps_original_text():
    src = "total += loss  # sum\nlosses.append(loss)\n"
    out = run(src, fix("replace-expression", src, "loss", 0, template="{}.item()"),
              fix("replace-expression", src, "loss", 2, template="{}.detach()"))
    assert out == "total += loss.item()  # sum\nlosses.append(loss.detach())\n"


def test_replace_expression_parenthesises_by_context():
    src = "y = a * 2\nz = a\nw = f(a)\n"
    out = run(src, fix("replace-expression", src, "a", 0, replacement="b + c"),
              fix("replace-expression", src, "a", 1, replacement="b + c"),
              fix("replace-expression", src, "a", 2, replacement="b + c"))
    assert out == "y = (b + c) * 2\nz = b + c\nw = f(b + c)\n"


def test_replace_expression_keeps_existing_parentheses():
    src = "z = (a) + 1\n"
    assert run(src, fix("replace-expression", src, "a", replacement="b or c")) == "z = (b or c) + 1\n"


def test_replace_expression_after_non_ascii_text_on_the_line():
    src = "s = 'é€'; t = q(loss)\n"
    out = run(src, fix("replace-expression", src, "loss", template="{}.item()"))
    assert out == "s = 'é€'; t = q(loss.item())\n"


def test_replace_expression_of_non_ascii_name():
    src = "x = f(größe) + größe\n"
    out = run(src, fix("replace-expression", src, "größe", 1, replacement="0"))
    assert out == "x = f(größe) + 0\n"


def test_replace_expression_multiline_template():
    src = "x = f(a,\n      b)\n"
    out = run(src, fix("replace-expression", src, "f(a,\n      b)", template="{}.detach()"))
    assert out == "x = f(a,\n      b).detach()\n"


def test_replace_expression_span_not_an_expression_is_refused():
    src = "x = f(a)\n"
    run(src, Fix("safe", "replace-expression", (1, 0, 1, 3), (("replacement", "1"),)), errors=1)


def test_replace_expression_without_data_is_refused():
    src = "x = a\n"
    run(src, fix("replace-expression", src, "a"), errors=1)


# --- replace-with-argument ----------------------------------------------------------------------

def test_replace_with_argument():
    src = "model = torch.compile(model, mode='max-autotune')\n"
    call = "torch.compile(model, mode='max-autotune')"
    out = run(src, fix("replace-with-argument", src, call, argument="0"))
    assert out == "model = model\n"


def test_replace_with_argument_as_receiver_and_multiline():
    src = "out = torch.compile(\n    net,  # the model\n).eval()\n"
    call = "torch.compile(\n    net,  # the model\n)"
    out = run(src, fix("replace-with-argument", src, call, argument="0"))
    assert out == "out = net.eval()\n"


def test_replace_with_argument_parenthesises_compound_argument():
    src = "y = torch.compile(a or b).eval()\n"
    out = run(src, fix("replace-with-argument", src, "torch.compile(a or b)", argument="0"))
    assert out == "y = (a or b).eval()\n"


def test_replace_with_argument_refuses_keyword_or_starred():
    src = "m = torch.compile(*args)\nn = torch.compile(model=m)\n"
    run(src, fix("replace-with-argument", src, "torch.compile(*args)", argument="0"),
        fix("replace-with-argument", src, "torch.compile(model=m)", argument="0"), errors=2)


# --- insert-before / insert-after -----------------------------------------------------------------

def test_insert_after_at_indentation_with_imports():
    src = "from torch import nn\n\n\ndef main():\n    torch.manual_seed(0)  # seed\n    run()\n"
    out = run(src, fix("insert-after", src, "torch.manual_seed(0)", imports="torch",
                       code="torch.backends.cudnn.deterministic = True\n"
                            "torch.backends.cudnn.benchmark = False"))
    assert out == ("from torch import nn\nimport torch\n\n\ndef main():\n    torch.manual_seed(0)  # seed\n"
                   "    torch.backends.cudnn.deterministic = True\n"
                   "    torch.backends.cudnn.benchmark = False\n"
                   "    run()\n")


def test_insert_after_multiline_compound_code_uses_file_indent():
    src = "def f():\n  x = 1\n  y = 2\n"
    out = run(src, fix("insert-after", src, "x = 1", code="if x:\n    g()\nh()"))
    assert out == "def f():\n  x = 1\n  if x:\n    g()\n  h()\n  y = 2\n"


def test_insert_after_in_tab_indented_nested_function():
    src = "def f():\n\tdef g():\n\t\tseed(1)\n\treturn g\n"
    out = run(src, fix("insert-after", src, "seed(1)", code="a = 1\nb = 2"))
    assert out == "def f():\n\tdef g():\n\t\tseed(1)\n\t\ta = 1\n\t\tb = 2\n\treturn g\n"


def test_insert_after_in_one_line_if_body_stays_on_the_line():
    src = "if seed: torch.manual_seed(seed)  # why\nx = 1\n"
    out = run(src, fix("insert-after", src, "torch.manual_seed(seed)", code="a = 1\nb = 2"))
    assert out == "if seed: torch.manual_seed(seed); a = 1; b = 2  # why\nx = 1\n"


def test_insert_compound_code_in_one_line_body_makes_a_block():
    src = "def f():\n    if seed: torch.manual_seed(seed)  # why\n"
    out = run(src, fix("insert-after", src, "torch.manual_seed(seed)", code="if cuda:\n    g()"))
    assert out == ("def f():\n    if seed:  # why\n        torch.manual_seed(seed)\n"
                   "        if cuda:\n            g()\n")


def test_insert_compound_code_in_one_line_body_with_several_statements_is_refused():
    src = "if s: a(); b()\n"
    run(src, fix("insert-after", src, "a()", code="if c:\n    g()"), errors=1)


def test_insert_in_semicolon_line():
    src = "x = 1; seed(0); y = 2\n"
    assert run(src, fix("insert-after", src, "seed(0)", code="d = 1")) == "x = 1; seed(0); d = 1; y = 2\n"
    assert run(src, fix("insert-before", src, "seed(0)", code="d = 1")) == "x = 1; d = 1; seed(0); y = 2\n"


def test_insert_after_last_statement_of_semicolon_line_goes_on_a_new_line():
    src = "x = 1; seed(0)  # c\ny = 2\n"
    out = run(src, fix("insert-after", src, "seed(0)", code="d = 1"))
    assert out == "x = 1; seed(0)  # c\nd = 1\ny = 2\n"


def test_insert_compound_in_middle_of_semicolon_line_is_refused():
    src = "x = 1; seed(0); y = 2\n"
    run(src, fix("insert-after", src, "seed(0)", code="if a:\n    b()"), errors=1)


def test_insert_before_keeps_comments_attached_and_blank_lines_above():
    src = "a = 1\n\n# backprop\nloss.backward()\n"
    out = run(src, fix("insert-before", src, "loss.backward()", code="optimizer.zero_grad()"))
    assert out == "a = 1\n\noptimizer.zero_grad()\n# backprop\nloss.backward()\n"


def test_insert_before_decorated_function_goes_above_decorators():
    src = "x = 1\n@decorator\ndef f():\n    pass\n"
    out = run(src, Fix("safe", "insert-before", (3, 0, 4, 8), (("code", "seed(0)"),)))
    assert out == "x = 1\nseed(0)\n@decorator\ndef f():\n    pass\n"


def test_insert_after_compound_statement():
    src = "for x in y:\n    f(x)\nz = 1\n"
    out = run(src, fix("insert-after", src, "for x in y:\n    f(x)", code="done()"))
    assert out == "for x in y:\n    f(x)\ndone()\nz = 1\n"


def test_insert_keeps_crlf_line_endings():
    src = "import torch\r\ntorch.manual_seed(0)\r\nx = 1\r\n"
    out = run(src, fix("insert-after", src, "torch.manual_seed(0)", code="a = 1\nb = 2", imports="torch"))
    assert out == "import torch\r\ntorch.manual_seed(0)\r\na = 1\r\nb = 2\r\nx = 1\r\n"


# --- wrap-with -----------------------------------------------------------------------------------

def test_wrap_loop_reindents_body_and_comments():
    src = ("def evaluate(model, loader):\n    model.eval()\n    # evaluation\n"
           "    for x, y in loader:  # batches\n"
           "        # forward\n        out = model(x)\n\n        acc(out, y)\n    return 1\n")
    out = run(src, fix("wrap-with", src, "for x, y in loader", context="torch.no_grad()", imports="torch"))
    assert out == ("import torch\ndef evaluate(model, loader):\n    model.eval()\n    # evaluation\n"
                   "    with torch.no_grad():\n        for x, y in loader:  # batches\n"
                   "            # forward\n"
                   "            out = model(x)\n\n            acc(out, y)\n    return 1\n")


def test_wrap_simple_statement_in_one_line_body():
    src = "if ok: evaluate()  # c\n"
    out = run(src, fix("wrap-with", src, "evaluate()", context="torch.no_grad()"))
    assert out == "if ok:  # c\n    with torch.no_grad():\n        evaluate()\n"


def test_wrap_statement_sharing_its_line_is_refused():
    src = "a(); evaluate()\n"
    run(src, fix("wrap-with", src, "evaluate()", context="torch.no_grad()"), errors=1)


# --- remove-statement ------------------------------------------------------------------------------

def test_remove_only_statement_leaves_pass():
    src = "def f():\n    torch.autograd.set_detect_anomaly(True)  # debug\nx = 1\n"
    out = run(src, fix("remove-statement", src, "torch.autograd.set_detect_anomaly(True)"))
    assert out == "def f():\n    pass\nx = 1\n"


def test_remove_keeps_comment_lines_above():
    src = "a = 1\n\n# debugging\nset_detect_anomaly(True)\n\nb = 2\n"
    out = run(src, fix("remove-statement", src, "set_detect_anomaly(True)"))
    assert out == "a = 1\n\n# debugging\n\nb = 2\n"


def test_remove_from_semicolon_line_and_one_line_body():
    src = "a = 1; anomaly(); b = 2\nc = 3; anomaly()\nif x: anomaly()\n"
    out = run(src, fix("remove-statement", src, "anomaly()", 0), fix("remove-statement", src, "anomaly()", 1),
              fix("remove-statement", src, "anomaly()", 2))
    assert out == "a = 1; b = 2\nc = 3\nif x: pass\n"


def test_remove_compound_statement_last_in_block():
    src = "def f():\n    x = 1\n    with detect_anomaly():\n        g()\n"
    out = run(src, fix("remove-statement", src, "with detect_anomaly():\n        g()"))
    assert out == "def f():\n    x = 1\n"


# --- add-keyword -----------------------------------------------------------------------------------

@pytest.mark.parametrize("call, expected", [
    ("k()", "k(generator=g)"),
    ("k(a)", "k(a, generator=g)"),
    ("k(a, b=1)", "k(a, b=1, generator=g)"),
    ("k(a,)", "k(a, generator=g,)"),
    ("k(\n    a,\n    b,\n)", "k(\n    a,\n    b,\n    generator=g,\n)"),
    ("k(a,\n  b)", "k(a,\n  b, generator=g)"),
    ("k(*args, **kw)", "k(*args, **kw, generator=g)"),
])
def test_add_keyword_layouts(call, expected):
    src = f"x = {call}\n"
    assert run(src, fix("add-keyword", src, call, keyword="generator", value="g")) == f"x = {expected}\n"


def test_add_keyword_already_present_is_refused():
    src = "x = k(generator=h)\n"
    run(src, fix("add-keyword", src, "k(generator=h)", keyword="generator", value="g"), errors=1)


# --- move-after ---------------------------------------------------------------------------------------

def test_move_after():
    src = ("for x in loader:\n    # lr\n    scheduler.step()\n    loss.backward()\n"
           "    optimizer.step()  # update\n    log()\n")
    after = ",".join(map(str, span(src, "optimizer.step()")))
    out = run(src, fix("move-after", src, "scheduler.step()", after=after))
    assert out == ("for x in loader:\n    # lr\n    loss.backward()\n    optimizer.step()  # update\n"
                   "    scheduler.step()\n    log()\n")


def test_move_after_into_other_block_leaves_pass():
    src = "if a:\n    s.step()\nif b:\n    o.step()\n"
    after = ",".join(map(str, span(src, "o.step()")))
    out = run(src, fix("move-after", src, "s.step()", after=after))
    assert out == "if a:\n    pass\nif b:\n    o.step()\n    s.step()\n"


# --- imports ------------------------------------------------------------------------------------------

def test_import_added_after_docstring_future_and_imports_once():
    src = '"""Doc."""\nfrom __future__ import annotations\nimport os\n\nx = AAA\ny = BBB\n'
    out = run(src, fix("replace-expression", src, "AAA", replacement="torch.zeros(1)", imports="torch"),
              fix("replace-expression", src, "BBB", replacement="torch.ones(1)", imports="torch"))
    assert out == ('"""Doc."""\nfrom __future__ import annotations\nimport os\nimport torch\n\n'
                   'x = torch.zeros(1)\ny = torch.ones(1)\n')


def test_import_not_added_when_present_or_guarded():
    for head in ("import torch\n", "import torch.nn as nn, torch.nn\n",
                 "try:\n    import torch\nexcept ImportError:\n    torch = None\n"):
        src = head + "x = AAA\n"
        out = run(src, fix("replace-expression", src, "AAA", replacement="torch.zeros(1)", imports="torch"))
        assert out == head + "x = torch.zeros(1)\n"


def test_import_added_when_only_aliased_or_from_imported():
    src = "import torch as T\nfrom torch import nn\nx = AAA\n"
    out = run(src, fix("replace-expression", src, "AAA", replacement="torch.zeros(1)", imports="torch"))
    assert out == "import torch as T\nfrom torch import nn\nimport torch\nx = torch.zeros(1)\n"


# --- several fixes in one round --------------------------------------------------------------------

def test_overlapping_fixes_are_deferred():
    src = "for x in y:\n    total += loss\n"
    run(src, fix("wrap-with", src, "for x in y:\n    total += loss", context="torch.no_grad()"),
        fix("replace-expression", src, "loss", template="{}.item()"), deferred=1)
    run(src, fix("insert-after", src, "total += loss", code="a = 1"),
        fix("insert-after", src, "total += loss", code="b = 1"), deferred=1)


def test_non_overlapping_fixes_apply_together():
    src = "torch.manual_seed(0)\nm = torch.compile(net)\nlosses.append(loss)\n"
    out = run(src, fix("insert-after", src, "torch.manual_seed(0)", code="d = 1"),
              fix("replace-with-argument", src, "torch.compile(net)", argument="0"),
              fix("replace-expression", src, "loss", 1, template="{}.detach()"))
    assert out == "torch.manual_seed(0)\nd = 1\nm = net\nlosses.append(loss.detach())\n"


def test_bad_span_and_unknown_action_are_errors_not_crashes():
    src = "x = 1\n"
    run(src, Fix("safe", "replace-expression", (9, 0, 9, 1), (("replacement", "2"),)),
        Fix("safe", "explode", (1, 0, 1, 5)), Fix("safe", "insert-after", (1, 0, 1, 5), (("code", "if:"),)),
        errors=3)


def test_add_keyword_one_argument_per_line_keeps_comments_on_their_lines():
    call = ("DataLoader(\n    dataset=ds,        # data\n    shuffle=True,      # random order\n"
            "    num_workers=2,     # processes\n)")
    src = f"loader = {call}\n"
    out = run(src, fix("add-keyword", src, call, keyword="generator", value="g"))
    assert out == ("loader = DataLoader(\n    dataset=ds,        # data\n    shuffle=True,      # random order\n"
                   "    num_workers=2,     # processes\n    generator=g,\n)\n")


def test_add_keyword_single_argument_per_line_with_comment():
    call = "f(\n    a,  # only\n)"
    src = f"x = {call}\n"
    out = run(src, fix("add-keyword", src, call, keyword="k", value="1"))
    assert out == "x = f(\n    a,  # only\n    k=1,\n)\n"


def test_file_without_final_newline():
    src = "import torch\n\ndef f():\n    torch.manual_seed(0)\n    return 1"
    out = run(src, fix("insert-after", src, "torch.manual_seed(0)", code="a = 1"))
    assert out == "import torch\n\ndef f():\n    torch.manual_seed(0)\n    a = 1\n    return 1"
    src = "x = 1\ny = f(a)"
    assert run(src, fix("replace-expression", src, "a", 0, replacement="b")) == "x = 1\ny = f(b)"
