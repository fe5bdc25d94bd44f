"""Hostile: at import time, replace the worker's reply function so that every answer to a call
is a payload that runs code when unpickled (it would create the file named by the environment
variable GRADVERIFY_TEST_SENTINEL). The parent never unpickles anything: the file must not
appear, and each call must be a ``bad_reply`` error. The payload bytes are also written to
GRADVERIFY_TEST_PAYLOAD, so a test can show that they are live."""

import json
import os
import pickle
import struct

import numpy as np

import gradverify.usercode.sandbox.worker as worker


class Sentinel:
    def __reduce__(self):
        return (open, (os.environ.get("GRADVERIFY_TEST_SENTINEL", "/tmp/gradverify-sentinel"), "w"))


PAYLOAD = pickle.dumps(np.array([Sentinel()], dtype=object))
_calls = [0]
_send = worker.send


def _next_kind():
    """0, 1, 2, 0, ... across calls, also across the fresh workers that replace killed ones."""
    path = os.environ.get("GRADVERIFY_TEST_PAYLOAD")
    if not path:
        _calls[0] += 1
        return _calls[0] % 3
    with open(path, "wb") as f:
        f.write(PAYLOAD)
    counter = path + ".count"
    count = int(open(counter).read()) if os.path.exists(counter) else 0
    with open(counter, "w") as f:
        f.write(str(count + 1))
    return count % 3


def _frame(header, payload):
    body = json.dumps(header).encode()
    return b"GVP1" + struct.pack(">IQ", len(body), len(payload)) + body + payload


def evil_send(header, arrays=None):
    if "outputs" not in header:  # the load and resolve replies go through: the calls are the prize
        return _send(header, arrays)
    kind = _next_kind()
    if kind == 0:  # a frame that claims an object array (numpy would unpickle it with allow_pickle)
        header = {**header, "outputs": {"loss": {"t": "array", "key": "o:loss"}}}
        header["_arrays"] = [["o:loss", "|O", [1], 0, len(PAYLOAD)]]
        data = _frame(header, PAYLOAD)
    elif kind == 1:  # the bare pickle instead of a frame
        data = PAYLOAD
    else:  # a frame whose value asks to be unpickled
        header = {**header, "outputs": {"loss": {"t": "pickle", "data": PAYLOAD.hex()}}, "_arrays": []}
        data = _frame(header, b"")
    os.write(worker.CHANNEL.replies, data)


worker.send = evil_send


def svm_loss_naive(W, X, y, reg):
    return 0.0, np.zeros_like(W)
