"""A small synchronous Language Server Protocol client over stdio, for tests.

It speaks JSON-RPC 2.0 with Content-Length framing to a server started as a subprocess. A
reader thread only splits the server's output into messages and queues them; everything else
(sending, waiting, answering the server's own requests) happens on the caller's thread, and every
wait has a deadline, so that a silent or crashed server fails a test instead of hanging it.
"""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

#: one JSON-RPC message (request, response or notification), as decoded JSON
Message = dict[str, Any]
#: answers a server-to-client request: its params in, the result out
RequestHandler = Callable[[Any], Any]

DEFAULT_TIMEOUT = 30.0


class LspError(RuntimeError):
    """The server answered with an error, went silent past the deadline, or exited."""


def _lookup(settings: Mapping[str, Any], section: str | None) -> Any:
    """The value of a dotted settings section (`yaml`, `yaml.schemas`), None when absent."""
    if not section:
        return dict(settings)
    if section in settings:  # a section whose name holds dots or brackets, e.g. "[yaml]"
        return settings[section]
    value: Any = settings
    for part in section.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


class LspClient:
    """A language server subprocess and a blocking JSON-RPC conversation with it.

    Server-to-client requests are answered from `handlers` (method -> function of the params);
    `workspace/configuration` is answered from `settings`, and a request with no handler gets a
    null result. Server notifications are kept in `notifications`, in order of arrival.
    """

    def __init__(
        self,
        command: Sequence[str],
        *,
        settings: Mapping[str, Any] | None = None,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.timeout = timeout
        self.settings: Mapping[str, Any] = settings or {}
        self.notifications: list[Message] = []
        self.handlers: dict[str, RequestHandler] = {
            "workspace/configuration": self._configuration,
            "client/registerCapability": lambda _params: None,
            "client/unregisterCapability": lambda _params: None,
            "window/workDoneProgress/create": lambda _params: None,
            "window/showMessageRequest": lambda _params: None,
            "workspace/workspaceFolders": lambda _params: None,
        }
        self._next_id = 0
        self._inbox: queue.Queue[Message | None] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=40)
        self._process = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=dict(env) if env is not None else None,
        )
        assert self._process.stdout is not None and self._process.stderr is not None
        self._threads = [
            threading.Thread(target=self._read_messages, args=(self._process.stdout,), daemon=True),
            threading.Thread(target=self._read_stderr, args=(self._process.stderr,), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # --- the public conversation -------------------------------------------------------------

    def request(self, method: str, params: Any = None, *, timeout: float | None = None) -> Any:
        """Send a request and return its result, answering server requests meanwhile."""
        self._next_id += 1
        request_id = self._next_id
        self._send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            message = self._receive(deadline, f"the response to {method}")
            if "method" in message:
                self._dispatch(message)
            elif message.get("id") == request_id:
                if "error" in message:
                    raise LspError(f"{method} failed: {message['error']}")
                return message.get("result")
            # a response to some other (earlier, timed-out) request: dropped

    def notify(self, method: str, params: Any = None) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_for(self, method: str, *, timeout: float | None = None) -> Message:
        """Handle incoming messages until one (request or notification) of `method` arrives."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            message = self._receive(deadline, f"a {method} message")
            if "method" in message:
                self._dispatch(message)
                if message["method"] == method:
                    return message

    def close(self) -> None:
        """Shut the server down politely if it listens, else kill it; always reap it."""
        if self._process.poll() is None:
            try:
                self.request("shutdown", timeout=5)
                self.notify("exit")
                self._process.wait(timeout=5)
            except (LspError, OSError, ValueError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait(timeout=10)
        for thread in self._threads:
            thread.join(timeout=5)
        for stream in (self._process.stdin, self._process.stdout, self._process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self.close()

    def stderr_tail(self) -> str:
        return "".join(self._stderr)

    def __enter__(self) -> LspClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.kill()

    # --- plumbing ----------------------------------------------------------------------------

    def _configuration(self, params: Any) -> list[Any]:
        items = params.get("items", []) if isinstance(params, Mapping) else []
        return [_lookup(self.settings, item.get("section")) for item in items]

    def _dispatch(self, message: Message) -> None:
        """Keep a notification; answer a server request (null result for unknown methods)."""
        if "id" not in message:
            self.notifications.append(message)
            return
        handler = self.handlers.get(message["method"])
        try:
            result = handler(message.get("params")) if handler is not None else None
        except Exception as error:  # a failing handler answers with an error, never hangs
            self._send(
                {
                    "jsonrpc": "2.0",
                    "id": message["id"],
                    "error": {"code": -32603, "message": repr(error)},
                }
            )
            return
        self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})

    def _send(self, message: Message) -> None:
        stdin = self._process.stdin
        if stdin is None or self._process.poll() is not None:
            raise LspError(f"the server has exited; stderr:\n{self.stderr_tail()}")
        body = json.dumps(message, separators=(",", ":")).encode("utf-8")
        try:
            stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            stdin.flush()
        except OSError as error:
            raise LspError(
                f"cannot write to the server ({error}); stderr:\n{self.stderr_tail()}"
            ) from error

    def _receive(self, deadline: float, waiting_for: str) -> Message:
        remaining = deadline - time.monotonic()
        try:
            message = self._inbox.get(timeout=max(remaining, 0.0))
        except queue.Empty:
            raise LspError(
                f"timed out waiting for {waiting_for}; server stderr:\n{self.stderr_tail()}"
            ) from None
        if message is None:
            self._inbox.put(None)  # later reads fail fast too
            raise LspError(
                f"the server exited (code {self._process.poll()}) while waiting for "
                f"{waiting_for}; stderr:\n{self.stderr_tail()}"
            )
        return message

    def _read_messages(self, stdout: IO[bytes]) -> None:
        """Reader thread: frame the server's stdout into messages; None marks the end."""
        try:
            while True:
                length = None
                while True:
                    line = stdout.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        break
                    name, _, value = line.decode("ascii").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                if length is None:
                    continue
                body = stdout.read(length)
                if len(body) < length:
                    return
                self._inbox.put(json.loads(body.decode("utf-8")))
        except (OSError, ValueError):
            return
        finally:
            self._inbox.put(None)

    def _read_stderr(self, stderr: IO[bytes]) -> None:
        with contextlib.suppress(OSError, ValueError):
            for line in iter(stderr.readline, b""):
                self._stderr.append(line.decode("utf-8", "replace"))
