#!/usr/bin/python3
"""Clients that dig cannot be, for the DNS system tests (dnspython).

  dns_probe.py pipeline ADDR NAME COUNT
      writes COUNT queries for NAME at once on one TCP connection and prints
      how many answers, each to its own query, came back within 5 s.
  dns_probe.py tcpfill ADDR NAME COUNT
      opens COUNT idle TCP connections, then asks NAME on one more; prints
      "answered" or "shut out", and how many of the idle ones the server
      closed meanwhile.
  dns_probe.py udp ADDR NAME TYPE PAYLOAD
      one UDP query offering PAYLOAD bytes of EDNS; prints the answer's size
      in bytes, "tc" or "notc", "edns" or "noedns", and its answer count.
  dns_probe.py xfrd ADDR LOG
      a transfer server for the zone xfr.test on ADDR port 53 (UDP and TCP)
      until killed: AXFR over TCP in three messages (SOA, 30 A records, SOA),
      IXFR answered with the one SOA (up to date, RFC 1995), anything else
      REFUSED; each query is logged to LOG as "udp|tcp TYPE".
  dns_probe.py raw ADDR NAME TYPE
      one UDP query (id 0x5353, EDNS 1232) and the answer's bytes in hex, or
      "timeout" after 3 s: for answers dnspython itself would refuse.
"""
import socket
import struct
import sys
import time

import dns.edns
import dns.flags
import dns.message
import dns.rdatatype


def tcp_read_answers(sock, want, deadline):
    buf = b""
    got = []
    while len(got) < want and time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65535)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
        while len(buf) >= 2:
            n = struct.unpack("!H", buf[:2])[0]
            if len(buf) < 2 + n:
                break
            got.append(dns.message.from_wire(buf[2:2 + n]))
            buf = buf[2 + n:]
    return got


def pipeline(addr, name, count):
    qs = [dns.message.make_query(name, "A") for _ in range(count)]
    wire = b"".join(struct.pack("!H", len(w)) + w for w in (q.to_wire() for q in qs))
    s = socket.create_connection((addr, 53), timeout=5)
    s.sendall(wire)
    got = tcp_read_answers(s, count, time.monotonic() + 5)
    ids = {q.id for q in qs}
    print(sum(1 for a in got if a.id in ids and a.answer))


def tcpfill(addr, name, count):
    idle = [socket.create_connection((addr, 53), timeout=5) for _ in range(count)]
    time.sleep(0.2)
    q = dns.message.make_query(name, "A")
    w = q.to_wire()
    verdict = "shut out"
    try:
        s = socket.create_connection((addr, 53), timeout=3)
        s.sendall(struct.pack("!H", len(w)) + w)
        got = tcp_read_answers(s, 1, time.monotonic() + 3)
        if got and got[0].id == q.id and got[0].answer:
            verdict = "answered"
    except OSError:
        pass
    closed = 0
    for c in idle:
        c.setblocking(False)
        try:
            closed += c.recv(1) == b""
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    print(verdict, closed)


def raw(addr, name, rdtype, version="0"):
    # another EDNS version asks for the NSID too: whose answer it is shows
    opts = [dns.edns.GenericOption(dns.edns.NSID, b"")] if version != "0" else None
    q = dns.message.make_query(name, rdtype, id=0x5353)
    q.use_edns(edns=int(version), payload=1232, options=opts)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(q.to_wire(), (addr, 53))
    try:
        print(s.recv(65535).hex())
    except socket.timeout:
        print("timeout")


def udp(addr, name, rdtype, payload):
    q = dns.message.make_query(name, rdtype, use_edns=0, payload=payload)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(q.to_wire(), (addr, 53))
    try:
        w = s.recv(65535)
    except socket.timeout:
        print("timeout")
        return
    m = dns.message.from_wire(w, ignore_trailing=True)
    print(len(w), "tc" if m.flags & dns.flags.TC else "notc",
          "edns" if m.edns >= 0 else "noedns", sum(len(r) for r in m.answer))


XFR_ZONE = "xfr.test."


def xfr_answers(q):
    """The messages answering q: a list of dns.message.Message."""
    import dns.rrset
    qt = q.question[0].rdtype
    soa = dns.rrset.from_text(XFR_ZONE, 300, "IN", "SOA",
                              "ns.xfr.test. host.xfr.test. 5 3600 600 86400 300")
    if qt == dns.rdatatype.IXFR:
        r = dns.message.make_response(q)
        r.answer.append(soa)
        return [r]
    if qt != dns.rdatatype.AXFR:
        r = dns.message.make_response(q)
        r.set_rcode(dns.rcode.REFUSED)
        return [r]
    out = []
    for part in range(3):
        r = dns.message.make_response(q)
        if part == 0:
            r.answer.append(soa)
        for i in range(part * 10 + 1, part * 10 + 11):
            r.answer.append(dns.rrset.from_text("h%d.%s" % (i, XFR_ZONE), 300, "IN", "A",
                                                "198.51.100.%d" % (100 + i)))
        if part == 2:
            r.answer.append(soa)
        out.append(r)
    return out


def xfrd(addr, log):
    import threading
    import dns.rcode

    def note(transport, q):
        with open(log, "a") as f:
            f.write("%s %s\n" % (transport, dns.rdatatype.to_text(q.question[0].rdtype)))

    def udp_loop():
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((addr, 53))
        while True:
            w, peer = u.recvfrom(65535)
            q = dns.message.from_wire(w)
            note("udp", q)
            a = xfr_answers(q)
            if q.question[0].rdtype == dns.rdatatype.AXFR:
                a = [dns.message.make_response(q)]
                a[0].set_rcode(dns.rcode.NOTIMP)
            u.sendto(a[0].to_wire(), peer)

    def tcp_conn(c):
        with c:
            while True:
                h = c.recv(2)
                if len(h) < 2:
                    return
                n = struct.unpack("!H", h)[0]
                w = b""
                while len(w) < n:
                    chunk = c.recv(n - len(w))
                    if not chunk:
                        return
                    w += chunk
                q = dns.message.from_wire(w)
                note("tcp", q)
                for m in xfr_answers(q):
                    b = m.to_wire()
                    c.sendall(struct.pack("!H", len(b)) + b)

    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, 53))
    t.listen(16)
    threading.Thread(target=udp_loop, daemon=True).start()
    with open(log, "a") as f:
        f.write("ready\n")
    while True:
        c, _ = t.accept()
        threading.Thread(target=tcp_conn, args=(c,), daemon=True).start()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "pipeline":
        pipeline(args[0], args[1], int(args[2]))
    elif cmd == "udp":
        udp(args[0], args[1], args[2], int(args[3]))
    elif cmd == "xfrd":
        xfrd(args[0], args[1])
    elif cmd == "raw":
        raw(*args[:4])
    elif cmd == "tcpfill":
        tcpfill(args[0], args[1], int(args[2]))
    else:
        sys.exit("dns_probe.py: unknown command " + cmd)


if __name__ == "__main__":
    main()
