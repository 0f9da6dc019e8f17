"""A fake YooKassa API v3 on a local port: enough of payments and refunds to drive the real
adapter (HTTP Basic, ``Idempotence-Key`` replays, injected failures)."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeYooKassa:
    def __init__(self, shop_id: str = "shop-1", secret: str = "test-secret"):  # noqa: S107
        self.auth = "Basic " + base64.b64encode(f"{shop_id}:{secret}".encode()).decode()
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.refund_status = "succeeded"  # what a new refund starts as
        self.faults: list[str] = []  # "500", "500-after" (processed, then 500), "drop", "400"
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v3"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeYooKassa:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.payments.clear()
            self.refunds.clear()
            self.by_key.clear()
            self.requests.clear()
            self.faults.clear()
            self.refund_status = "succeeded"

    # --- what a test changes on the provider's side ---

    def set_status(self, payment_id: str, status: str, **changes: Any) -> None:
        with self.lock:
            self.payments[payment_id]["status"] = status
            self.payments[payment_id].update(changes)

    def posts(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "POST" and r["path"] == path]

    # --- the API ---

    def _create_payment(self, body: dict[str, Any]) -> dict[str, Any]:
        payment_id = f"yk-{uuid.uuid4()}"
        obj: dict[str, Any] = {
            "id": payment_id,
            "status": "pending",
            "paid": False,
            "amount": body["amount"],
            "description": body.get("description", ""),
            "metadata": body.get("metadata", {}),
            "test": True,
        }
        method_id = body.get("payment_method_id")
        if method_id:
            declined = method_id.endswith("-decline")
            obj["status"] = "canceled" if declined else "succeeded"
            obj["payment_method"] = {
                "type": "bank_card",
                "id": method_id,
                "saved": True,
                "title": "Bank card *4444",
            }
            if declined:
                obj["cancellation_details"] = {"party": "issuer", "reason": "card_expired"}
        else:
            obj["confirmation"] = {
                "type": "redirect",
                "confirmation_url": f"https://yoomoney.example/checkout/{payment_id}",
            }
            obj["payment_method"] = {
                "type": "bank_card",
                "id": f"pm-{uuid.uuid4()}",
                "saved": bool(body.get("save_payment_method")),
                "title": "Bank card *4444",
            }
        self.payments[payment_id] = obj
        return obj

    def _create_refund(self, body: dict[str, Any]) -> dict[str, Any] | None:
        payment = self.payments.get(body["payment_id"])
        if payment is None:
            return None
        refund_id = f"ykr-{uuid.uuid4()}"
        obj = {
            "id": refund_id,
            "payment_id": body["payment_id"],
            "status": self.refund_status,
            "amount": body["amount"],
        }
        self.refunds[refund_id] = obj
        refunded = Decimal(payment.get("refunded_amount", {}).get("value", "0"))
        refunded += Decimal(body["amount"]["value"])
        payment["refunded_amount"] = {"value": f"{refunded:.2f}", "currency": "RUB"}
        return obj

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                path = self.path.removeprefix("/v3")
                key = self.headers.get("Idempotence-Key")
                with fake.lock:
                    fake.requests.append(
                        {"method": method, "path": path, "body": body, "key": key}
                    )
                    fault = fake.faults.pop(0) if fake.faults else None
                    if self.headers.get("Authorization") != fake.auth:
                        return self._send(401, {"type": "error", "code": "invalid_credentials"})
                    if fault == "drop":
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return None
                    if fault == "500":
                        return self._send(500, {"type": "error", "code": "internal_server_error"})
                    if fault == "400":
                        return self._send(400, {"type": "error", "code": "invalid_request"})
                    answer, status = self._route(method, path, body, key)
                    if fault == "500-after":  # processed, but the answer is lost
                        return self._send(500, {"type": "error"})
                    return self._send(status, answer)

            def _route(self, method: str, path: str, body: Any, key: str | None) -> Any:
                if method == "POST":
                    if not key:
                        return {"type": "error", "code": "invalid_request"}, 400
                    if key in fake.by_key:
                        return fake.by_key[key], 200
                    if path == "/payments":
                        obj = fake._create_payment(body)
                    elif path == "/refunds":
                        obj = fake._create_refund(body)
                        if obj is None:
                            return {"type": "error", "code": "not_found"}, 404
                    else:
                        return {"type": "error", "code": "not_found"}, 404
                    fake.by_key[key] = obj
                    return obj, 200
                kind, _, object_id = path.strip("/").partition("/")
                store = fake.payments if kind == "payments" else fake.refunds
                if object_id in store:
                    return store[object_id], 200
                return {"type": "error", "code": "not_found"}, 404

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

        return Handler
