"""Real HTTP servers on 127.0.0.1 for tests: the shared ``LoopbackServer``, a
chat-completions API and a webhook receiver (the ICS feed and Notion servers build on the
same base in their own modules).

Each is a stdlib ``ThreadingHTTPServer``, scriptable per test, that records what it got.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    delay: float = 0.0
    # When set, the answer waits for this event (a request "in flight" for a while).
    hold: threading.Event | None = None


def text_reply(content: str, delay: float = 0.0) -> Reply:
    return Reply(
        body={
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        },
        delay=delay,
    )


def tool_reply(*calls: tuple[str, dict[str, Any]]) -> Reply:
    tool_calls = [
        {
            "id": f"call_{n}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)},
        }
        for n, (name, arguments) in enumerate(calls)
    ]
    return Reply(
        body={
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": None, "tool_calls": tool_calls},
                    "finish_reason": "tool_calls",
                }
            ],
        }
    )


def error_reply(status: int, message: str = "scripted error") -> Reply:
    return Reply(status=status, body={"error": {"message": message, "type": "test"}})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout, killed worker) closes the socket: expected here.
        pass


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # When set, the answer waits for this event (a request "in flight" for a while).
    hold: threading.Event | None = None


def json_answer(status: int, body: Any, **reply: Any) -> Answer:
    return Answer(
        status=status,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        **reply,
    )


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1; a subclass answers each request in ``respond``."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def release(self) -> None:
        """Let every held answer go."""

    def respond(self, request: Request) -> Answer:
        raise NotImplementedError

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                answer = owner.respond(Request(method, self.path, dict(self.headers.items()), body))
                if answer.hold is not None:
                    answer.hold.wait(60)
                if answer.delay:
                    time.sleep(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if answer.status not in (204, 304):
                    self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


class _JSONServer(LoopbackServer):
    """Answers POSTs with scripted JSON ``Reply``s."""

    def respond(self, request: Request) -> Answer:
        if request.method != "POST":
            return Answer(status=501)
        reply = self.answer(request.path, request.headers, request.body)
        return json_answer(reply.status, reply.body or {}, delay=reply.delay, hold=reply.hold)

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        raise NotImplementedError


class ChatServer(_JSONServer):
    """An OpenAI-compatible ``POST /v1/chat/completions``.

    Replies are scripted per task: the key is the request's user message (a task's
    instructions). Once a key's script is used up, it answers ``default``.
    """

    def __init__(self, default: str = "done") -> None:
        super().__init__()
        self.default = default
        self.scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self.requests: list[dict[str, Any]] = []
        self.holds: list[threading.Event] = []

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def script(self, instructions: str, *replies: Reply) -> None:
        with self.lock:
            self.scripts[instructions].extend(replies)

    def hold(self, instructions: str) -> threading.Event:
        """The next request for ``instructions`` waits until the returned event is set."""
        event = threading.Event()
        self.holds.append(event)
        self.script(instructions, Reply(body=text_reply("released").body, hold=event))
        return event

    def release(self) -> None:
        for event in self.holds:
            event.set()

    def requests_for(self, instructions: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if _user_message(r) == instructions]

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if path != "/v1/chat/completions":
            return error_reply(404, f"no route {path}")
        request = json.loads(body)
        request["_headers"] = headers
        with self.lock:
            self.requests.append(request)
            queue = self.scripts.get(_user_message(request))
            if queue:
                return queue.popleft()
        return text_reply(self.default)


def _user_message(request: dict[str, Any]) -> str | None:
    for message in request.get("messages", []):
        if message.get("role") == "user":
            content: str | None = message.get("content")
            return content
    return None


@dataclass
class Delivery:
    body: bytes
    headers: dict[str, str]
    signature_ok: bool

    def json(self) -> Any:
        return json.loads(self.body)


def verify_webhook(
    secret: str, headers: dict[str, str], body: bytes, now: float | None = None
) -> bool:
    """What a receiver does: the signature covers ``<X-PA-Timestamp>.<body>``, and a
    timestamp more than 5 minutes from now is refused (a replayed request)."""
    stamp = headers.get("X-PA-Timestamp", "")
    if not stamp.isdigit() or abs((now or time.time()) - int(stamp)) > 300:
        return False
    signed = stamp.encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers.get("X-PA-Signature", ""))


class WebhookServer(_JSONServer):
    """Receives webhook POSTs, checks their signature and answers scripted statuses."""

    def __init__(self, secret: str = "s3cret") -> None:
        super().__init__()
        self.secret = secret
        self.statuses: deque[int] = deque()
        self.deliveries: list[Delivery] = []

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        ok = verify_webhook(self.secret, headers, body)
        with self.lock:
            self.deliveries.append(Delivery(body, headers, ok))
            status = self.statuses.popleft() if self.statuses else 200
        if not ok:
            status = 401
        return Reply(status=status, body={"ok": status < 300})
