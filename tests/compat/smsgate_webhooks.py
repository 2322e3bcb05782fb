"""SMS Gateway for Android's webhooks against smsgate, with the app's official Python client
(android-sms-gateway, pinned in .ci/run): registers webhooks pointing at a receiver of its own,
sends a message, waits for the events, checks each signature with the recipe of the app's
documentation ("Webhooks", payload signing), then lists and deletes the webhooks.

Protocol with tests/compat_smsgate.rs: prints `ready` once the webhooks are registered (the test
then has a customer text in), and one JSON object with what it saw at the end.
"""
import hashlib
import hmac
import http.server
import json
import os
import sys
import threading
import time

from android_sms_gateway import client, domain, enums

base = os.environ["BASE_URL"]
login = os.environ["LOGIN"]
password = os.environ["PASSWORD"]
to = os.environ["TO"]
signing_key = os.environ["SIGNING_KEY"]

received = []
lock = threading.Condition()


def verify_signature(secret_key: str, payload: str, timestamp: str, signature: str) -> bool:
    # The documentation's recipe: HMAC-SHA256 over the raw body followed by X-Timestamp.
    message = (payload + timestamp).encode()
    expected = hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        ok = verify_signature(
            signing_key, raw, self.headers.get("X-Timestamp", ""), self.headers.get("X-Signature", "")
        )
        age = abs(time.time() - int(self.headers.get("X-Timestamp", "0")))
        with lock:
            received.append({"body": json.loads(raw), "signature_ok": ok, "fresh": age < 300})
            lock.notify_all()
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = "http://127.0.0.1:%d/hook" % server.server_address[1]


def wait_for(event):
    deadline = time.time() + 60
    with lock:
        while not any(r["body"]["event"] == event for r in received):
            if time.time() > deadline:
                sys.exit("no %s webhook; got %s" % (event, [r["body"]["event"] for r in received]))
            lock.wait(1)


out = {}
with client.APIClient(login, password, base_url=base) as c:
    created = []
    for ev in (enums.WebhookEvent.SMS_RECEIVED, enums.WebhookEvent.SMS_SENT, enums.WebhookEvent.SMS_DELIVERED):
        created.append(c.create_webhook(domain.Webhook(id=None, url=url, event=ev)))
    # The same id again replaces the webhook (upsert), it does not add one.
    again = c.create_webhook(domain.Webhook(id=created[0].id, url=url, event=enums.WebhookEvent.SMS_RECEIVED))
    out["upsert_same_id"] = again.id == created[0].id
    out["listed"] = sorted(w.event.value for w in c.get_webhooks())
    print("ready", flush=True)

    c.send(domain.Message(phone_numbers=[to], text_message=domain.TextMessage(text="hooked"), id="wh-1"))
    for ev in ("sms:sent", "sms:delivered", "sms:received"):
        wait_for(ev)

    for w in c.get_webhooks():
        c.delete_webhook(w.id)
    out["after_delete"] = [w.id for w in c.get_webhooks()]

with lock:
    out["events"] = [r["body"] for r in received]
    out["all_signed"] = all(r["signature_ok"] for r in received)
    out["all_fresh"] = all(r["fresh"] for r in received)
print(json.dumps(out))
