"""Local stand-ins for Twilio's and Telegram's APIs, on 127.0.0.1 and a free port.

They answer like the real APIs do for the calls Harbor makes and record every request, so a
test can see exactly what the real connectors sent. Nothing here talks to the internet.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import parse_qs


class FakeApi(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: List[Dict[str, Any]] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> "FakeApi":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def record(self, entry: Dict[str, Any]) -> None:
        with self.lock:
            self.requests.append(entry)

    def snapshot(self) -> List[Dict[str, Any]]:
        with self.lock:
            return list(self.requests)

    def answer(self, method: str, path: str, headers: Dict[str, str], body: bytes):
        raise NotImplementedError


class _Handler(BaseHTTPRequestHandler):
    server: FakeApi

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, payload = self.server.answer("POST", self.path, dict(self.headers), body)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeTwilio(FakeApi):
    """POST /2010-04-01/Accounts/<sid>/Messages.json, basic auth, form body -> 201 + a Message."""

    PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")

    def __init__(self, account_sid: str, auth_token: str) -> None:
        super().__init__()
        self.account_sid, self.auth_token = account_sid, auth_token
        self.blocked: set = set()  # recipients that opted out at "Twilio": error 21610

    def answer(self, method, path, headers, body):
        match = self.PATH.match(path)
        form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        auth = headers.get("Authorization", "")
        user = base64.b64decode(auth[6:]).decode() if auth.startswith("Basic ") else ""
        self.record({"path": path, "auth": user, "form": form, "at": time.monotonic()})
        if not match or match["sid"] != self.account_sid:
            return 404, {"code": 20404, "message": "The requested resource was not found"}
        if user != f"{self.account_sid}:{self.auth_token}":
            return 401, {"code": 20003, "message": "Authenticate"}
        if form.get("To") in self.blocked:
            return 400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"}
        if len(form.get("Body", "")) > 1600:
            return 400, {"code": 21617, "message": "The concatenated message body exceeds the 1600 character limit"}
        return 201, {
            "sid": "SM" + uuid.uuid4().hex,
            "status": "queued",
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
        }

    def messages_to(self, to: str, since: int = 0) -> List[Dict[str, str]]:
        return [r["form"] for r in self.snapshot()[since:] if r["form"].get("To") == to]


class FakeTelegram(FakeApi):
    """POST /bot<token>/<method> with a JSON body -> {"ok": true, "result": …}."""

    PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>\w+)$")

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.message_id = 0

    def answer(self, method, path, headers, body):
        match = self.PATH.match(path)
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            payload = None
        self.record(
            {"path": path, "method": match["method"] if match else None, "json": payload, "at": time.monotonic()}
        )
        if not match or match["token"] != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if match["method"] == "sendMessage":
            self.message_id += 1
            return 200, {
                "ok": True,
                "result": {
                    "message_id": self.message_id,
                    "chat": {"id": payload.get("chat_id")},
                    "text": payload.get("text"),
                },
            }
        return 200, {"ok": True, "result": True}

    def calls(
        self,
        method: Optional[str] = None,
        chat_id: Any = None,
        since: int = 0,
        where: Optional[Callable[[Dict[str, Any]], bool]] = None,
    ) -> List[Dict[str, Any]]:
        found = []
        for r in self.snapshot()[since:]:
            body = r["json"] or {}
            if method and r["method"] != method:
                continue
            if chat_id is not None and body.get("chat_id") != chat_id:
                continue
            if where and not where(body):
                continue
            found.append(body)
        return found
