"""Drives smsgate's SMS Gateway for Android compatible API with the app's official Python
client (android-sms-gateway, pinned in .ci/run), unchanged: only base_url, login and password.

Prints one JSON object with what it saw; tests/compat_smsgate.rs asserts on it.
"""
import json
import os
import sys
import time

from android_sms_gateway import client, domain, errors

base = os.environ["BASE_URL"]
login = os.environ["LOGIN"]
password = os.environ["PASSWORD"]
to = os.environ["TO"]
scheduled = os.environ["SCHEDULED_ID"]

out = {}
with client.APIClient(login, password, base_url=base) as c:
    msg = domain.Message(
        phone_numbers=[to],
        text_message=domain.TextMessage(text="予約を承りました from the python client"),
        id="py-1",
    )
    st = c.send(msg)
    out["sent"] = {
        "id": st.id,
        "state": st.state.value,
        "device": st.device_id,
        "recipients": [[r.phone_number, r.state.value] for r in st.recipients],
    }
    deadline = time.time() + 60
    while True:
        st = c.get_state("py-1")
        if st.state.value == "Delivered":
            break
        if time.time() > deadline:
            sys.exit("never delivered: " + st.state.value)
        time.sleep(0.1)
    out["delivered"] = st.state.value
    out["states"] = sorted(st.states.keys())
    out["listed"] = [m.id for m in c.get_messages()]
    try:
        c.send(msg)
        out["duplicate"] = "accepted"
    except Exception as e:  # the client raises on any non-2xx
        out["duplicate"] = str(getattr(e, "status_code", None) or getattr(getattr(e, "response", None), "status_code", None) or e)
    c.cancel_message(scheduled)
    out["cancelled"] = c.get_state(scheduled).state.value
    try:
        client.APIClient(login, "wrong-password-123456", base_url=base).__enter__().get_state("py-1")
        out["wrong_password"] = "accepted"
    except Exception as e:
        out["wrong_password"] = type(e).__name__
print(json.dumps(out))
