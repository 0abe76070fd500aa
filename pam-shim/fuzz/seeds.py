#!/usr/bin/env python3
"""Writes the fuzzers' seed inputs (docs/protocol.md frames), deterministically.

    python3 pam-shim/fuzz/seeds.py      # from the repository root

- pam-shim/fuzz/corpus/: replies the module may receive (libFuzzer seed corpus
  for fuzz/reply_fuzz; also replayed by `make check`), plus a few bare bodies
  for the harness's "input as an OPEN reply body" mode;
- daemon/src/test/resources/org/keyinitd/fuzz/FrameDecoderFuzzTestInputs/decodeFrame/:
  requests the daemon may receive, named seed-* (Jazzer runs them as regression
  inputs in every `mvn verify` and uses them as seeds when fuzzing; Jazzer's own
  findings land next to them as crash-*).

Re-running rewrites these seed files only; crash inputs (regressions) are never touched.
"""
import os
import struct

MAGIC = 0x4B494450
STR, U32, I32, BOOL = 1, 2, 3, 4

TAGS = {
    "SERVICE": (1, STR), "USER": (2, STR), "UID": (3, U32), "GID": (4, U32),
    "TTY": (5, STR), "RHOST": (6, STR), "RUSER": (7, STR), "MODULE_FLAGS": (8, U32),
    "HAS_SESSION_KEYRING": (9, BOOL), "SESSION_ID": (10, STR), "KEYRING_NAME": (11, STR),
    "KEYRING_SERIAL": (12, I32), "DECISION": (13, U32), "MESSAGE": (14, STR),
    "RULE": (15, STR), "WILL_REVOKE": (16, BOOL), "SERVER_VERSION": (17, STR),
    "ERRNO": (18, U32), "ABORT": (19, BOOL), "JOIN_AS_CALLER": (20, BOOL),
    "DATA": (21, STR), "REASON": (22, STR), "ALL": (23, BOOL),
}
PING, OPEN, CLOSE, STATUS, SESSIONS, REVOKE, RELOAD = 1, 2, 3, 4, 5, 6, 7


def raw(tag, typ, value):
    return struct.pack(">HBH", tag, typ, len(value)) + value


def field(name, value):
    tag, typ = TAGS[name]
    if typ == STR:
        v = value.encode("utf-8")
    elif typ == U32:
        v = struct.pack(">I", value)
    elif typ == I32:
        v = struct.pack(">i", value)
    else:
        v = bytes([1 if value else 0])
    return raw(tag, typ, v)


def body(*fields):
    """Each argument is a (NAME, value) pair or already-encoded bytes."""
    return b"".join(f if isinstance(f, bytes) else field(*f) for f in fields)


def frame(op, status, payload, version=1, length=None):
    n = len(payload) if length is None else length
    return struct.pack(">IBBHI", MAGIC, version, op, status, n) + payload


def reply(op, status, *fields):
    return frame(op | 0x80, status, body(*fields))


def request(op, *fields):
    return frame(op, 0, body(*fields))


SID = "00112233445566778899aabbccddeeff"
KNAME = "keyinitd.ffeeddccbbaa99887766554433221100"

created = body(("DECISION", 1), ("RULE", "default"), ("SESSION_ID", SID),
               ("KEYRING_NAME", KNAME), ("KEYRING_SERIAL", 123456789), ("WILL_REVOKE", True))

REPLIES = {
    "ping-ok": reply(PING, 0, ("SERVER_VERSION", "0.1.0")),
    "open-created": frame(OPEN | 0x80, 0, created),
    "open-created-join-as-caller": reply(OPEN, 0, ("DECISION", 1), ("RULE", "root-owned"),
                                         ("SESSION_ID", SID), ("KEYRING_NAME", KNAME),
                                         ("KEYRING_SERIAL", 42), ("WILL_REVOKE", False),
                                         ("JOIN_AS_CALLER", True)),
    "open-kept-existing": reply(OPEN, 0, ("DECISION", 2), ("RULE", "keep")),
    "open-skipped": reply(OPEN, 0, ("DECISION", 3), ("RULE", "cron-none")),
    "open-unsupported": reply(OPEN, 0, ("DECISION", 6), ("RULE", "default")),
    "open-denied": reply(OPEN, 1, ("MESSAGE", "uid 1001 may not open a session for uid 1002")),
    "open-bad-request": reply(OPEN, 2, ("MESSAGE", "field USER is empty")),
    "open-failed-errno": reply(OPEN, 6, ("MESSAGE", "add_key: Disk quota exceeded"), ("ERRNO", 122)),
    "open-busy": reply(OPEN, 7, ("MESSAGE", "too many connections")),
    "open-unicode-message": reply(OPEN, 2, ("MESSAGE", "caf\u00e9 \u20ac \U0001F600")),
    "open-unknown-fields": reply(OPEN, 0, raw(0, 77, b"junk"), raw(99, STR, b"a\x00b"),
                                 raw(21, STR, b"{}"), ("DECISION", 3), raw(0xFFFF, BOOL, b"")),
    "open-bad-version": reply(OPEN, 3, ("MESSAGE", "unsupported protocol version 2; this daemon speaks version 1")),
    "open-too-large": reply(OPEN, 8, ("MESSAGE", "body of 5000 bytes exceeds the limit of 4096")),
    "close-revoked": reply(CLOSE, 0, ("DECISION", 4), ("KEYRING_SERIAL", 123456789)),
    "close-kept": reply(CLOSE, 0, ("DECISION", 5), ("KEYRING_SERIAL", 123456789)),
    "close-deferred": reply(CLOSE, 0, ("DECISION", 7), ("KEYRING_SERIAL", 123456789)),
    "close-invalidated": reply(CLOSE, 0, ("DECISION", 8), ("KEYRING_SERIAL", 123456789)),
    "close-not-found": reply(CLOSE, 5, ("MESSAGE", "no session " + SID)),
    "close-failed": reply(CLOSE, 6, ("MESSAGE", "keyctl revoke: Permission denied"), ("ERRNO", 13),
                          ("KEYRING_SERIAL", -2147483648)),
    # bare bodies, for the harness's second mode (input = body of an OPEN reply)
    "body-created": created,
    "body-failed": body(("MESSAGE", "keyctl: Permission denied"), ("ERRNO", 13)),
    # recipes for the harness's third mode (synth_body): tag, control, 16-bit length;
    # here every reply string at exactly its limit, in ASCII, "é", "€" and emoji fills
    "recipe-limits": b"".join((
        struct.pack(">BBH", 13, 0x10, 4) + b"\x00\x00\x00\x01",    # DECISION 1, raw value
        struct.pack(">BBH", 10, 0x00, 64),                           # SESSION_ID, letters
        struct.pack(">BBH", 11, 0x60, 128),                          # KEYRING_NAME, digits
        struct.pack(">BBH", 15, 0x20, 256),                          # RULE, "é" x 128
        struct.pack(">BBH", 17, 0x40, 64),                           # SERVER_VERSION, emoji x 16
        struct.pack(">BBH", 14, 0x30, 1023),                         # MESSAGE, "€" x 341
        struct.pack(">BBH", 16, 0x10, 1) + b"\x01",                  # WILL_REVOKE true
    )),
}

open_full = (("SERVICE", "sshd"), ("USER", "alice"), ("UID", 1001), ("GID", 1001),
             ("TTY", "ssh"), ("RHOST", "10.0.0.5"), ("RUSER", "bob"), ("MODULE_FLAGS", 3),
             ("HAS_SESSION_KEYRING", False))

REQUESTS = {
    "seed-ping": request(PING),
    "seed-open": request(OPEN, *open_full),
    "seed-open-minimal": request(OPEN, ("SERVICE", "login"), ("USER", "root"), ("UID", 0),
                                 ("GID", 0), ("MODULE_FLAGS", 0), ("HAS_SESSION_KEYRING", True)),
    "seed-open-unicode": request(OPEN, ("SERVICE", "su"), ("USER", "j\u00fcrgen"), ("UID", 4294967294),
                                 ("GID", 100), ("RHOST", "h\u00e9.example"), ("MODULE_FLAGS", 7),
                                 ("HAS_SESSION_KEYRING", False)),
    "seed-open-unknown-fields": request(OPEN, raw(0, 9, b"x"), *open_full, raw(4242, STR, b"later")),
    "seed-close": request(CLOSE, ("SESSION_ID", SID), ("KEYRING_SERIAL", 123456789), ("ABORT", False)),
    "seed-close-abort": request(CLOSE, ("SESSION_ID", SID), ("KEYRING_SERIAL", -2), ("ABORT", True)),
    "seed-close-minimal": request(CLOSE, ("SESSION_ID", SID)),
    "seed-status": request(STATUS),
    "seed-sessions-user": request(SESSIONS, ("USER", "alice")),
    "seed-revoke": request(REVOKE, ("USER", "alice"), ("REASON", "INC-4711")),
    "seed-revoke-all": request(REVOKE, ("ALL", True)),
    "seed-data-parts": frame(STATUS | 0x80, 0, raw(21, STR, b'{"a":') + raw(21, STR, b"") +
                             raw(21, STR, b'"\xc3') + raw(21, STR, b'\xa9"}')),
    "seed-bad-magic": b"KIDQ" + frame(PING, 0, b"")[4:],
    "seed-bad-version": frame(OPEN, 0, b"", version=2),
    "seed-too-large": frame(OPEN, 0, b"", length=4097),
}


def write_all(directory, files):
    os.makedirs(directory, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    write_all(os.path.join(root, "pam-shim", "fuzz", "corpus"), REPLIES)
    write_all(os.path.join(root, "daemon", "src", "test", "resources", "org", "keyinitd", "fuzz",
                           "FrameDecoderFuzzTestInputs", "decodeFrame"), REQUESTS)
    print(f"wrote {len(REPLIES)} reply seeds and {len(REQUESTS)} request seeds")
