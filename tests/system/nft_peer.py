#!/usr/bin/env python3
"""Traffic ends for the nftables system tests.

  nft_peer.py serve PORT          TCP server that keeps sending a line every 50 ms
                                  on every connection, and a UDP echo server, both
                                  on all IPv4 and IPv6 addresses, port PORT
  nft_peer.py tcp HOST PORT       connect and read a line: prints ok / reset / refused /
                                  timeout and the milliseconds it took
  nft_peer.py udp HOST PORT       send a datagram, wait for the echo: ok / icmp:ERRNO / timeout
  nft_peer.py hold HOST PORT FILE connect, write "connected" to FILE, read until the
                                  connection dies, then append "died EPOCH_MS ERROR" to it
"""
import errno
import os
import socket
import sys
import threading
import time


def now_ms():
    return int(time.time() * 1000)


def serve(port):
    def sender(conn):
        try:
            while True:
                conn.sendall(b"data\n")
                time.sleep(0.05)
        except OSError:
            conn.close()

    def tcp(fam):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", port))
        s.listen(64)
        while True:
            c, _ = s.accept()
            threading.Thread(target=sender, args=(c,), daemon=True).start()

    def udp(fam):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", port))
        while True:
            data, peer = s.recvfrom(2048)
            s.sendto(data, peer)

    for fam in (socket.AF_INET, socket.AF_INET6):
        threading.Thread(target=tcp, args=(fam,), daemon=True).start()
        threading.Thread(target=udp, args=(fam,), daemon=True).start()
    while True:
        time.sleep(3600)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def tcp_probe(host, port):
    t0 = time.monotonic()
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect((host, port))
        line = s.recv(100)
        res = "ok" if line else "closed"
    except socket.timeout:
        res = "timeout"
    except ConnectionRefusedError:
        res = "refused"
    except ConnectionResetError:
        res = "reset"
    except OSError as e:
        res = "error:" + errno.errorcode.get(e.errno, str(e.errno))
    print(res, int((time.monotonic() - t0) * 1000))


def udp_probe(host, port):
    t0 = time.monotonic()
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((host, port))
    try:
        # a packet rejected on the output hook fails the send itself (EPERM);
        # the ICMP error the reject sent back then shows on the next receive
        s.send(b"ping")
        sent = ""
    except OSError as e:
        sent = "send:" + errno.errorcode.get(e.errno, str(e.errno)) + ","
    try:
        data = s.recv(100)
        res = "ok" if data == b"ping" else "bad"
    except socket.timeout:
        res = "timeout"
    except OSError as e:
        res = "icmp:" + errno.errorcode.get(e.errno, str(e.errno))
    print(sent + res, int((time.monotonic() - t0) * 1000))


def hold(host, port, path):
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect((host, port))
    with open(path, "w") as f:
        f.write("connected\n")
    why = "closed"
    try:
        while s.recv(4096):
            pass
    except socket.timeout:
        why = "timeout"
    except OSError as e:
        why = errno.errorcode.get(e.errno, str(e.errno))
    with open(path, "a") as f:
        f.write("died %d %s\n" % (now_ms(), why))


def main():
    cmd = sys.argv[1]
    if cmd == "serve":
        serve(int(sys.argv[2]))
    elif cmd == "tcp":
        tcp_probe(sys.argv[2], int(sys.argv[3]))
    elif cmd == "udp":
        udp_probe(sys.argv[2], int(sys.argv[3]))
    elif cmd == "hold":
        hold(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
