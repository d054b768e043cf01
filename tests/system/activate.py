#!/usr/bin/env python3
"""What systemd does for a socket unit, for the system tests: binds the
sockets named on the command line (udp:ADDR:PORT, tcp:ADDR:PORT), places them
at fds 3.. and execs the command with LISTEN_FDS and LISTEN_PID (the pid stays
the same across exec, so it names the command)."""
import os
import socket
import sys

if "--" not in sys.argv:
    sys.exit("usage: activate.py udp:ADDR:PORT|tcp:ADDR:PORT... -- COMMAND...")
sep = sys.argv.index("--")
specs, cmd = sys.argv[1:sep], sys.argv[sep + 1:]
socks = []
for spec in specs:
    kind, rest = spec.split(":", 1)
    addr, port = rest.rsplit(":", 1)
    addr = addr.strip("[]")
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND, as FreeBind=yes
    if family == socket.AF_INET6:  # BindIPv6Only=ipv6-only
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, int(port)))
    if kind == "tcp":
        s.listen(64)
    socks.append(s)
# Move them out of the way first, so that placing one cannot close another.
tmp = [os.dup(s.fileno()) for s in socks]
for s in socks:
    s.close()
for i, fd in enumerate(tmp):
    os.dup2(fd, 3 + i, inheritable=True)
for fd in tmp:
    if fd >= 3 + len(tmp):
        os.close(fd)
os.environ["LISTEN_FDS"] = str(len(tmp))
os.environ["LISTEN_PID"] = str(os.getpid())
os.execvp(cmd[0], cmd)
