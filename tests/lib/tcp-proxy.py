#!/usr/bin/env python3
"""
tcp-proxy.py - a TCP proxy on 127.0.0.1 that slows down or stalls a server.

    tcp-proxy.py PORTFILE TARGETPORT [--rate BYTES_PER_SECOND] [--stall-after BYTES]

Listens on a free port of 127.0.0.1, writes the port to PORTFILE once it
listens, and forwards every connection to 127.0.0.1:TARGETPORT. What the
server sends back is limited to RATE bytes a second; after STALL bytes of
one connection nothing more is forwarded, and the connection stays open:
a server that hangs in the middle of a pack. What the client sends is
forwarded as it comes. Runs until killed.
"""
import argparse
import os
import socket
import threading
import time


def pump(src, dst, rate, stall):
    """Copies src to dst, at most rate bytes/s; stops copying after stall bytes."""
    sent = 0
    start = time.monotonic()
    try:
        while True:
            data = src.recv(16384)
            if not data:
                break
            if stall is not None and sent + len(data) > stall:
                data = data[:max(0, stall - sent)]
                if data:
                    dst.sendall(data)
                # the client's side stays open and silent for good
                while src.recv(65536):
                    pass
                threading.Event().wait()
            dst.sendall(data)
            sent += len(data)
            if rate:
                ahead = sent / rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(client, target, rate, stall):
    try:
        server = socket.create_connection(("127.0.0.1", target))
    except OSError:
        client.close()
        return
    threading.Thread(target=pump, args=(client, server, 0, None), daemon=True).start()
    pump(server, client, rate, stall)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("portfile")
    p.add_argument("target", type=int)
    p.add_argument("--rate", type=int, default=0)
    p.add_argument("--stall-after", type=int, default=None)
    a = p.parse_args()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    tmp = a.portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(tmp, a.portfile)
    while True:
        client, _ = ls.accept()
        threading.Thread(target=serve, args=(client, a.target, a.rate, a.stall_after),
                         daemon=True).start()


if __name__ == "__main__":
    main()
