"""A plain TCP peer (no TLS) for tlsscope's verdict tests: reads the ClientHello, then either
closes (MODE close) or stays silent (MODE silent); MODE partial-stall / partial-close answer with
the first bytes of a TLS handshake record (its header, then a few bytes of its body) and then
stay silent / close; MODE notify answers with a close_notify alert record (in the clear, as a
server refusing before any key exchange would); MODE reset-at-once resets as it accepts. usage: plain_peer.py MODE -- prints its port."""
import os
import socket
import struct
import sys
import threading
import time

LIFETIME = 15.0


def main():
    mode = sys.argv[1]
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(LIFETIME)
    print(listener.getsockname()[1], flush=True)
    threading.Timer(LIFETIME, lambda: os._exit(0)).start()
    try:
        conn, _ = listener.accept()
        if mode == "reset-at-once":
            # Resets the connection as it is accepted, before reading anything (SO_LINGER 0).
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
            time.sleep(1)
            os._exit(0)
        conn.recv(4096)
        if mode.startswith("partial"):
            # A handshake record announcing 64 bytes, of which only 3 come: an answer cut short.
            conn.sendall(b"\x16\x03\x03\x00\x40\x02\x00\x00")
            if mode == "partial-stall":
                time.sleep(LIFETIME)
        if mode == "notify":
            conn.sendall(b"\x15\x03\x03\x00\x02\x01\x00")
            time.sleep(LIFETIME)
        if mode == "silent":
            time.sleep(LIFETIME)
        conn.close()
    except OSError:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
