"""Suppression comments as every front end reads them, and ``# noqa`` as ``--add-noqa`` writes it."""
from __future__ import annotations

import ast

import pytest

from flake8_dlpractice.noqa import add_noqa, message_id, noqa_edits, suppressions


def silenced(text: str, code: str, line: int, **kw) -> bool:
    found = suppressions(text, ast.parse(text))
    return found is not None and found.silences(code, line, **kw)


@pytest.mark.parametrize("comment,code,expected", [
    ("# noqa", "DLP100", True),
    ("# noqa: DLP100", "DLP100", True),
    ("# noqa:DLP100,E501", "DLP100", True),
    ("# NOQA: dlp1", "DLP100", True),  # prefixes, any case
    ("# noqa: DLP101", "DLP100", False),
    ("# noqa: E501", "DLP100", False),
    ("#noqa", "DLP100", False),  # flake8 needs the space
    ("# pylint: disable=test-data-in-fitting", "DLP100", True),
    ("# pylint: disable=W8700", "DLP100", True),
    ("# pylint: disable=all", "DLP100", True),
    ("# pylint: disable=unused-import", "DLP100", False),
])
def test_line_comments(comment, code, expected):
    assert silenced(f"x = 1\nclf.fit(X_te)  {comment}\ny = 2\n", code, 2) is expected
    assert not silenced(f"x = 1\nclf.fit(X_te)  {comment}\ny = 2\n", code, 3)


def test_each_host_leaves_its_own_comments_to_itself():
    text = "clf.fit(X_te)  # noqa: DLP100\nclf.fit(X_te)  # pylint: disable=test-data-in-fitting\n"
    assert not silenced(text, "DLP100", 1, noqa=False) and silenced(text, "DLP100", 1, pylint=False)
    assert silenced(text, "DLP100", 2, noqa=False) and not silenced(text, "DLP100", 2, pylint=False)


def test_flake8_spans_strings_and_continuations_not_brackets():
    text = 'a = """\n# noqa\n"""\nb = 1 + \\\n    2  # noqa: DLP2\nc = f(\n    1,\n)  # noqa\n'
    assert [silenced(text, "DLP200", n) for n in range(1, 9)] == [True, True, True, True, True, False, False, True]


def test_files_without_a_suppression_comment_are_not_read():
    # "noqa" in data (a base64 blob, a word) is no comment: nothing to read, the file is not tokenised
    text = 'blob = b"iVBnoqaXkNOQAz"\nnote = "see noqa docs"  # a comment\nclf.fit(X_te)\n'
    assert suppressions(text, ast.parse(text)) is None
    assert suppressions(text + "y = 1  #  NoQA\n") is not None  # a comment that could be one is read


def test_pylint_pragma_scopes():
    text = ("def f():\n"  # 1
            "    # pylint: disable=test-data-in-fitting\n"  # 2
            "    a = 1\n"  # 3
            "    b = 2\n"  # 4
            "    # pylint: enable=test-data-in-fitting\n"  # 5
            "    c = 3\n"  # 6
            "d = 4\n"  # 7
            "for x in y:  # pylint: disable=W8700\n"  # 8
            "    e = 5\n"  # 9
            "# pylint: disable-next=test-data-in-fitting\n"  # 10
            "g = 6\n"  # 11
            "h = 7\n")  # 12
    assert [silenced(text, "DLP100", n) for n in range(1, 13)] == [
        False, True, True, True, False, False, False, True, True, False, True, False]


@pytest.mark.parametrize("comment,silences_100,silences_200", [
    ("# dlp: noqa", True, True), ("# dlp: noqa: DLP2", False, True), ("# flake8: noqa", True, True),
    ("# flake8: noqa: E501", False, False),  # flake8 ignores a file-level noqa with codes
    ("x = 1  # dlp: noqa", False, False),  # only on a line of its own
])
def test_file_level(comment, silences_100, silences_200):
    text = f"{comment}\nclf.fit(X_te)\n"
    assert silenced(text, "DLP100", 2) is silences_100 and silenced(text, "DLP200", 2) is silences_200


def test_pylint_skip_file_and_message_ids():
    assert silenced("# pylint: skip-file\nx = 1\n", "DLP300", 2)
    assert (message_id("DLP100"), message_id("DLP204"), message_id("DLP309"), message_id("DLP504")) == (
        "W8700", "W8714", "W8729", "W8744")


# -- writing ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("before,findings,after", [
    ("clf.fit(X)\n", [(1, "DLP100")], "clf.fit(X)  # noqa: DLP100\n"),
    ("clf.fit(X)  # keep\n", [(1, "DLP100"), (1, "DLP101")], "clf.fit(X)  # keep  # noqa: DLP100,DLP101\n"),
    ("clf.fit(X)  # noqa: E501\n", [(1, "DLP100")], "clf.fit(X)  # noqa: E501,DLP100\n"),
    ("clf.fit(X)  # noqa: DLP1 (legacy)\n", [(1, "DLP100")], "clf.fit(X)  # noqa: DLP1 (legacy)\n"),
    ("clf.fit(X)  # noqa\n", [(1, "DLP100")], "clf.fit(X)  # noqa\n"),
    ("clf.fit(\n    X,\n)\n", [(1, "DLP100")], "clf.fit(  # noqa: DLP100\n    X,\n)\n"),
    ('f("""a\nb""", X)\n', [(1, "DLP100")], 'f("""a\nb""", X)  # noqa: DLP100\n'),
    ("y = a + \\\n    clf.fit(X)\n", [(2, "DLP100")], "y = a + \\\n    clf.fit(X)  # noqa: DLP100\n"),
    ("a = 1\r\nclf.fit(X)\r\nb = 2", [(2, "DLP100")], "a = 1\r\nclf.fit(X)  # noqa: DLP100\r\nb = 2"),
    ("clf.fit(X)", [(1, "DLP100")], "clf.fit(X)  # noqa: DLP100"),  # no final newline
    ('x = "# noqa: E501"; clf.fit(X)\n', [(1, "DLP100")], 'x = "# noqa: E501"; clf.fit(X)\n'),  # unreachable
])
def test_add_noqa(before, findings, after):
    text, _count = add_noqa(before, findings)
    assert text == after
    ast.parse(text)
    assert noqa_edits(text, findings) == []  # a second run changes nothing
    for line, code in findings:
        assert silenced(text, code, line) or '"# noqa: E501"' in text
