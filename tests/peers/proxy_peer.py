"""A proxy on 127.0.0.1 for tlsscope's --proxy tests (a few connections, threads).

usage: proxy_peer.py MODE   -- prints the port it listens on, then serves. MODE is
  connect        HTTP CONNECT: checks `CONNECT host:port HTTP/1.1`, connects, answers 200, relays
  connect-auth   the same, but requires `Proxy-Authorization: Basic base64(user:pass)`, else 407
  connect-403    always 403 Forbidden
  connect-slow   like connect, but delays every relayed chunk by DELAY (a slow path beyond it)
  socks5         SOCKS5, no auth; the target must come as a domain name (ATYP 3) when it is a
                 name, which the proxy resolves; replies success and relays
  socks5-refuse  SOCKS5 that answers every CONNECT with 0x05 (connection refused)
  socks5-deny    SOCKS5 that answers every CONNECT with 0x02 (not allowed by ruleset)
Each request it reads is logged on stdout (`CONNECT host:port`, `SOCKS5 ATYP n host:port`) for the
test to check; anything wrong with the client goes to stderr and closes that connection.
Ends by itself within LIFETIME seconds.
"""
import base64
import ipaddress
import os
import socket
import struct
import sys
import threading
import time

LIFETIME = 20.0
DELAY = 0.15
USER, PASSWORD = "alice", "s3cret"


def log(text):
    print(text, flush=True)


def complain(text):
    print("proxy_peer: " + text, file=sys.stderr, flush=True)


def exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data


def read_head(conn):
    """Reads byte by byte up to the end of the request head, so no TLS byte is taken."""
    data = b""
    while not data.endswith(b"\r\n\r\n"):
        if len(data) > 65536:
            raise OSError("head too long")
        data += exactly(conn, 1)
    return data.decode("latin-1")


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


def relay(client, host, port, delay=0.0):
    upstream = socket.create_connection((host, port), timeout=5)
    upstream.settimeout(LIFETIME)
    back = threading.Thread(target=pump, args=(upstream, client, delay), daemon=True)
    back.start()
    pump(client, upstream, delay)
    back.join(LIFETIME)
    upstream.close()


def http_connect(mode, conn):
    head = read_head(conn)
    lines = head.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or parts[0] != "CONNECT" or parts[2] != "HTTP/1.1":
        complain("not a CONNECT request: %r" % lines[0])
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        return
    log("CONNECT " + parts[1])
    host, _, port = parts[1].rpartition(":")
    if mode == "connect-403":
        conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        return
    if mode == "connect-auth":
        token = base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
        wanted = "proxy-authorization: basic " + token.lower()
        if not any(l.lower() == wanted for l in lines[1:]):
            conn.sendall(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n'
            )
            return
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    relay(conn, host.strip("[]"), int(port), DELAY if mode == "connect-slow" else 0.0)


def socks5(mode, conn):
    version, count = exactly(conn, 2)
    methods = exactly(conn, count)
    if version != 5 or 0 not in methods:
        complain("bad SOCKS hello: version %d methods %r" % (version, methods))
        conn.sendall(b"\x05\xff")
        return
    conn.sendall(b"\x05\x00")
    version, command, _, atyp = exactly(conn, 4)
    if atyp == 3:
        host = exactly(conn, exactly(conn, 1)[0]).decode("latin-1")
    elif atyp == 1:
        host = str(ipaddress.IPv4Address(exactly(conn, 4)))
    elif atyp == 4:
        host = str(ipaddress.IPv6Address(exactly(conn, 16)))
    else:
        conn.sendall(b"\x05\x08\x00\x01\x00\x00\x00\x00\x00\x00")
        return
    (port,) = struct.unpack("!H", exactly(conn, 2))
    log("SOCKS5 ATYP %d %s:%d" % (atyp, host, port))
    if version != 5 or command != 1:
        conn.sendall(b"\x05\x07\x00\x01\x00\x00\x00\x00\x00\x00")
        return
    if atyp != 3 and host == "127.0.0.1":
        # The tests name the target `localhost`: the client must leave resolving it to us.
        complain("the client resolved the name itself and sent %s" % host)
        conn.sendall(b"\x05\x01\x00\x01\x00\x00\x00\x00\x00\x00")
        return
    code = {"socks5-refuse": 5, "socks5-deny": 2}.get(mode, 0)
    if code:
        conn.sendall(bytes([5, code, 0, 1, 0, 0, 0, 0, 0, 0]))
        return
    # Success; the bound address is ours (IPv4), as most proxies answer.
    conn.sendall(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", 0))
    relay(conn, host, port)


def serve(mode, conn):
    conn.settimeout(LIFETIME)
    try:
        if mode.startswith("socks5"):
            socks5(mode, conn)
        else:
            http_connect(mode, conn)
    except (OSError, ValueError) as e:
        complain("connection ended: %s" % e)
    finally:
        conn.close()


def main():
    mode = sys.argv[1]
    modes = ("connect", "connect-auth", "connect-403", "connect-slow",
             "socks5", "socks5-refuse", "socks5-deny")
    if mode not in modes:
        sys.exit("unknown mode %r" % mode)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(LIFETIME)
    print(listener.getsockname()[1], flush=True)
    threading.Timer(LIFETIME, lambda: os._exit(0)).start()
    for _ in range(8):
        try:
            conn, _ = listener.accept()
        except OSError:
            break
        threading.Thread(target=serve, args=(mode, conn), daemon=True).start()
    # The timer ends the process (and any relay still running) at LIFETIME.


if __name__ == "__main__":
    main()
