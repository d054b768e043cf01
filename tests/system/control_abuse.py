#!/usr/bin/env python3
"""Abusive control clients for tests/system/control_abuse.sh.

Each mode misbehaves against smbreakd's control socket in one way and checks
how the daemon answers; it prints one line of findings and exits 1 when the
daemon did not behave (0 otherwise). The wire format is daemon/proto.h: an
8-byte header {u16 version, u16 type, u32 len} in host byte order, then
netlink-style attributes.

usage: control_abuse.py SOCKET MODE [ARGS]
"""
import errno
import os
import random
import select
import socket
import struct
import sys
import time

VERSION = 1
CMD_STATUS = 1
CMD_WATCH = 9
REPLY = 0x100
A_RESULT = 7
A_MESSAGE = 8
RESULT_OK, RESULT_REFUSED, RESULT_USAGE = 0, 1, 2


def msg(mtype, payload=b"", version=VERSION, length=None):
    n = len(payload) if length is None else length
    return struct.pack("=HHI", version, mtype, n) + payload


def parse_attrs(payload):
    out, off = {}, 0
    while off + 4 <= len(payload):
        alen, atype = struct.unpack_from("=HH", payload, off)
        if alen < 4:
            break
        out.setdefault(atype, payload[off + 4:off + alen])
        off += (alen + 3) & ~3
    return out


def connect(path, timeout=5.0):
    """Connects, retrying while the listen backlog is full."""
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.002)


def recv_exact(s, n, deadline):
    buf = b""
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        r, _, _ = select.select([s], [], [], left)
        if not r:
            raise TimeoutError
        try:
            chunk = s.recv(n - len(buf))
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        except BlockingIOError:
            continue
        if not chunk:
            return None
        buf += chunk
    return buf


def read_reply(s, timeout=5.0):
    """Returns (result, message), None on EOF; raises TimeoutError."""
    deadline = time.monotonic() + timeout
    hdr = recv_exact(s, 8, deadline)
    if hdr is None:
        return None
    _, mtype, n = struct.unpack("=HHI", hdr)
    body = recv_exact(s, n, deadline)
    if body is None:
        return None
    a = parse_attrs(body)
    result = struct.unpack("=I", a[A_RESULT])[0] if A_RESULT in a else None
    message = a.get(A_MESSAGE, b"").rstrip(b"\0").decode("utf-8", "replace")
    return result, message


def wait_eof(s, timeout):
    """True when the daemon closes the connection within timeout (whatever it
    sent before); it is drained meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([s], [], [], left)
        if not r:
            return False
        try:
            if not s.recv(65536):
                return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except BlockingIOError:
            pass


def send_some(s, data, timeout):
    """Sends until done, the peer closes, or timeout; returns bytes sent."""
    sent, deadline = 0, time.monotonic() + timeout
    while sent < len(data) and time.monotonic() < deadline:
        _, w, _ = select.select([], [s], [], 0.05)
        if not w:
            continue
        try:
            sent += s.send(data[sent:sent + 65536])
        except BlockingIOError:
            pass
        except (BrokenPipeError, ConnectionResetError):
            break
    return sent


def fail(text):
    print("FAIL: " + text)
    sys.exit(1)


def mode_garbage(path, size):
    """size bytes of random garbage: the daemon answers (a bad header) and closes
    long before taking them all."""
    s = connect(path)
    t0 = time.monotonic()
    sent = send_some(s, os.urandom(int(size)), 10)
    closed = wait_eof(s, 5)
    took = time.monotonic() - t0
    print(f"garbage: sent {sent} of {size} bytes, closed={closed} in {took:.2f}s")
    if not closed:
        fail("connection with garbage not closed")


def mode_random(path, count):
    """count connections, each sending 8..4096 random bytes whose first two are
    never the valid version: each is answered and closed at once. (A partial
    header waits for the idle timeout; mode 'hold' covers that.)"""
    socks = []
    for _ in range(int(count)):
        s = connect(path)
        data = bytearray(os.urandom(random.randint(8, 4096)))
        if struct.unpack_from("=H", data)[0] == VERSION:
            data[0] ^= 0x80
        send_some(s, bytes(data), 2)
        socks.append(s)
    open_ = [s for s in socks if not wait_eof(s, 5)]
    print(f"random: {count} connections, {len(open_)} left open")
    if open_:
        fail("random-byte connections not closed")


def mode_header(path, kind):
    """One bad header: 'huge' length, 'badversion' or 'reply' (a reply type
    sent as a request, which is well-formed: answered, connection kept)."""
    s = connect(path)
    if kind == "huge":
        s.send(msg(CMD_STATUS, length=0xFFFFFFFF))
        want, keep = (RESULT_USAGE, "request too large"), False
    elif kind == "over":
        s.send(msg(CMD_STATUS, length=65536 - 8 + 1))
        want, keep = (RESULT_USAGE, "request too large"), False
    elif kind == "badversion":
        s.send(msg(CMD_STATUS, version=2))
        want, keep = (RESULT_USAGE, "protocol version"), False
    elif kind == "malformed":
        s.send(msg(CMD_STATUS, struct.pack("=HH", 2, A_RESULT)))
        want, keep = (RESULT_USAGE, "malformed request"), False
    elif kind == "unknown":
        s.send(msg(4242))
        want, keep = (RESULT_USAGE, None), True
    else:
        fail("unknown header kind " + kind)
    r = read_reply(s)
    print(f"header {kind}: reply {r}")
    if r is None or r[0] != want[0] or (want[1] and r[1] != want[1]):
        fail(f"header {kind}: got {r}, want {want}")
    if keep:
        s.send(msg(CMD_STATUS))
        r = read_reply(s)
        if r is None or r[0] != RESULT_OK:
            fail(f"header {kind}: connection not usable afterwards ({r})")
    elif not wait_eof(s, 5):
        fail(f"header {kind}: connection not closed")


def mode_hold(path, count, seconds, ready):
    """Opens count connections at once and holds them, silent, for up to
    seconds; touches `ready` once they are up. Reports how many the daemon
    served (first reply "busy" counts as refused) and how many it closed for
    idling, with the time that took."""
    socks = [connect(path) for _ in range(int(count))]
    # The daemon accepts in bursts; refused ones get "busy" at once.
    time.sleep(0.5)
    busy, live = 0, []
    for s in socks:
        r, _, _ = select.select([s], [], [], 0)
        if r:
            rep = read_reply(s, 1)
            if rep and "busy" in rep[1]:
                busy += 1
                continue
            if rep is None:
                busy += 1
                continue
        live.append(s)
    with open(ready, "w") as f:
        f.write(f"{len(live)} {busy}\n")
    t0 = time.monotonic()
    deadline = t0 + float(seconds)
    pending = list(live)
    while pending and time.monotonic() < deadline:
        r, _, _ = select.select(pending, [], [], max(0, deadline - time.monotonic()))
        for s in r:
            try:
                data = s.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            if not data:
                pending.remove(s)
    took = time.monotonic() - t0
    print(f"hold: {count} opened, {len(live)} served, {busy} refused busy, "
          f"{len(live) - len(pending)} closed idle after {took:.1f}s")
    if busy + len(live) != int(count):
        fail("lost connections")


def mode_many(path, count):
    """count clients at once, each asking for the status: every one gets an
    answer, either the status or "busy"; none hangs."""
    socks = [connect(path) for _ in range(int(count))]
    for s in socks:
        send_some(s, msg(CMD_STATUS), 1)
    ok = busy = other = 0
    for s in socks:
        try:
            r = read_reply(s, 10)
        except TimeoutError:
            r = ("timeout",)
        if r and r[0] == RESULT_OK:
            ok += 1
        elif r and r[0] == RESULT_REFUSED and "busy" in r[1]:
            busy += 1
        else:
            other += 1
    for s in socks:
        s.close()
    print(f"many: {count} clients: {ok} answered, {busy} busy, {other} other")
    if other or ok == 0 or ok > 64:
        fail("many clients: unexpected answers")


def mode_pipeline(path, count, seconds):
    """count requests written without reading a single reply, kept open for
    seconds: the daemon must hold back, not buffer without bound (the shell
    script watches its memory meanwhile); the replies then all arrive."""
    s = connect(path)
    data = msg(CMD_STATUS) * int(count)
    sent = send_some(s, data, float(seconds))
    time.sleep(float(seconds) / 2)
    got = 0
    deadline = time.monotonic() + 20
    while got < sent // 8 and time.monotonic() < deadline:
        try:
            r = read_reply(s, 5)
        except TimeoutError:
            break
        if r is None:
            break
        if r[0] != RESULT_OK:
            fail(f"pipeline: reply {got} is {r}")
        got += 1
    print(f"pipeline: sent {sent // 8} of {count} requests, read {got} replies")
    if got != sent // 8:
        fail("pipeline: replies missing")


def mode_slowwatch(path, seconds):
    """A watcher that never reads: subscribes and sits; the daemon must keep
    serving others (the script pokes events meanwhile)."""
    s = connect(path)
    s.send(msg(CMD_WATCH))
    time.sleep(float(seconds))
    print("slowwatch: done")


def mode_muteserver(path, seconds):
    """Not the daemon: a socket that accepts and never answers, so smctl's
    reply timeout can be seen."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    conns, deadline = [], time.monotonic() + float(seconds)
    while time.monotonic() < deadline:
        r, _, _ = select.select([srv], [], [], 0.1)
        if r:
            conns.append(srv.accept()[0])
    os.unlink(path)


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    path, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    modes = {
        "garbage": mode_garbage,
        "random": mode_random,
        "header": mode_header,
        "hold": mode_hold,
        "many": mode_many,
        "pipeline": mode_pipeline,
        "slowwatch": mode_slowwatch,
        "muteserver": mode_muteserver,
    }
    if mode not in modes:
        print(__doc__)
        sys.exit(2)
    try:
        modes[mode](path, *args)
    except OSError as e:
        if e.errno in (errno.ECONNREFUSED, errno.ENOENT):
            fail(f"{mode}: daemon not reachable: {e}")
        raise


if __name__ == "__main__":
    main()
