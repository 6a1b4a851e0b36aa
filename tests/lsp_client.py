"""A minimal Language Server Protocol client for tests: JSON-RPC over a subprocess's stdio.

It frames and parses messages itself (``Content-Length`` headers), so tests see exactly what
crosses the wire, and it keeps a transcript of every message in both directions.
"""
from __future__ import annotations

import json
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent


class LspError(Exception):
    pass


class Client:
    def __init__(self, command: list[str] | None = None, cwd: Path = ROOT) -> None:
        self.errors = tempfile.TemporaryFile()  # the server's log; a pipe nobody reads could fill up
        self.proc = subprocess.Popen(command or [sys.executable, "-m", "flake8_dlpractice", "lsp"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors, cwd=cwd)
        self.transcript: list[tuple[str, dict]] = []  # ("->", message) sent, ("<-", message) received
        self.inbox: queue.Queue = queue.Queue()
        self.notifications: list[dict] = []
        self.next_id = 0
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    # -- wire ------------------------------------------------------------------------------------
    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self.inbox.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if length is None:
                continue
            message = json.loads(stream.read(length))
            with self.lock:
                self.transcript.append(("<-", message))
            self.inbox.put(message)

    def send(self, message: dict) -> None:
        body = json.dumps(message).encode("utf-8")
        with self.lock:
            self.transcript.append(("->", message))
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 30) -> Any:
        self.next_id += 1
        wanted = self.next_id
        self.send({"jsonrpc": "2.0", "id": wanted, "method": method, "params": params})
        message = self.wait(lambda m: m.get("id") == wanted and "method" not in m, timeout)
        if "error" in message:
            raise LspError(message["error"])
        return message.get("result")

    def wait(self, match: Callable[[dict], bool], timeout: float = 30) -> dict:
        """The next message that matches; notifications and server requests are recorded/answered."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching message in {timeout} s; stderr: {self.stderr()[-2000:]}")
            try:
                message = self.inbox.get(timeout=left)
            except queue.Empty:
                continue
            if message is None:
                raise LspError(f"the server exited; stderr: {self.stderr()[-2000:]}")
            if "method" in message and "id" in message:  # a request from the server
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "method" in message:
                self.notifications.append(message)
            if match(message):
                return message

    def diagnostics(self, uri: str, timeout: float = 30, version: int | None = None) -> list[dict]:
        """The next diagnostics published for ``uri`` (for ``version``, when given)."""
        def match(m: dict) -> bool:
            if m.get("method") != "textDocument/publishDiagnostics" or m["params"]["uri"] != uri:
                return False
            return version is None or m["params"].get("version") == version
        return self.wait(match, timeout)["params"]["diagnostics"]

    def stderr(self) -> str:
        self.errors.seek(0)
        return self.errors.read().decode("utf-8", "replace")

    # -- session -----------------------------------------------------------------------------------
    def initialize(self, capabilities: dict | None = None, root: Path = ROOT) -> dict:
        caps = capabilities if capabilities is not None else {
            "textDocument": {
                "publishDiagnostics": {"relatedInformation": True, "versionSupport": True,
                                       "codeDescriptionSupport": True},
                "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": [
                    "quickfix", "source", "source.fixAll"]}},
                    "resolveSupport": {"properties": ["edit"]}, "dataSupport": True},
                "hover": {"contentFormat": ["markdown", "plaintext"]},
            },
            "notebookDocument": {"synchronization": {}},
            "workspace": {"applyEdit": True, "workspaceEdit": {"documentChanges": False}},
        }
        result = self.request("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": caps})
        self.notify("initialized", {})
        return result

    def close(self) -> int:
        try:
            if self.proc.poll() is None:
                self.request("shutdown", None, timeout=10)
                self.notify("exit", None)
            return self.proc.wait(timeout=10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream is not None:
                    stream.close()


def apply_edits(text: str, edits: list[dict]) -> str:
    """``text`` with LSP text edits applied (UTF-16 positions), as an editor applies them."""
    lines = text.split("\n")

    def offset(position: dict) -> int:
        line = position["line"]
        if line >= len(lines):
            return len(text)
        before = sum(len(item) + 1 for item in lines[:line])
        units = lines[line].encode("utf-16-le")[:2 * position["character"]].decode("utf-16-le")
        return before + len(units)

    for edit in sorted(edits, key=lambda e: (e["range"]["start"]["line"], e["range"]["start"]["character"]),
                       reverse=True):
        start, end = offset(edit["range"]["start"]), offset(edit["range"]["end"])
        text = text[:start] + edit["newText"] + text[end:]
        lines = text.split("\n")
    return text
