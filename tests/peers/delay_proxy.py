"""A TCP proxy on 127.0.0.1 that delays every chunk by DELAY_MS in each direction (a slow path
beyond the first TCP hop). usage: delay_proxy.py UPSTREAM_PORT DELAY_MS -- prints its port."""
import os
import socket
import sys
import threading
import time

LIFETIME = 20.0


def pump(src, dst, delay):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            time.sleep(delay)
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def main():
    upstream, delay = int(sys.argv[1]), int(sys.argv[2]) / 1000.0
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(LIFETIME)
    print(listener.getsockname()[1], flush=True)
    threading.Timer(LIFETIME, lambda: os._exit(0)).start()
    try:
        client, _ = listener.accept()
        server = socket.create_connection(("127.0.0.1", upstream))
        a = threading.Thread(target=pump, args=(client, server, delay))
        b = threading.Thread(target=pump, args=(server, client, delay))
        a.start()
        b.start()
        a.join()
        b.join()
    except OSError:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
