"""A misbehaving TLS server for tlsscope's verdict tests (one connection, then exit).

usage: tls_peer.py MODE CERT KEY   -- prints the port it listens on (127.0.0.1), then serves.
Every mode ends by itself within LIFETIME seconds, so a test can never hang on it.
"""
import socket
import ssl
import struct
import sys
import threading
import time

LIFETIME = 15.0


def read_head(conn):
    """Reads until the end of an HTTP request head (bounded)."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def read_upload(conn, n):
    """Reads at least `n` bytes of an upload; False if the client closed first."""
    got = 0
    while got < n:
        data = conn.recv(16384)
        if not data:
            return False
        got += len(data)
    return True


def linger_close(conn):
    """Closes with a TCP reset (SO_LINGER 0), skipping close_notify."""
    raw = socket.socket(fileno=conn.detach())
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()


def serve(mode, conn):
    if mode == "keepalive":
        read_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello")
        time.sleep(LIFETIME)  # ignores "Connection: close"
    elif mode == "keepalive-chunked":
        read_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        time.sleep(LIFETIME)
    elif mode == "keepalive-no-length":
        # A whole body without Content-Length or chunks, and the connection kept open: only a
        # close could end this response.
        read_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello world")
        time.sleep(LIFETIME)
    elif mode == "notify-mid-body":
        # A close_notify after 5 of the 500 body bytes its Content-Length announced; TCP stays
        # open (the connection's socket outlives the TLS close).
        read_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\nhello")
        raw = conn.unwrap()
        time.sleep(LIFETIME)
        raw.close()
    elif mode == "continue-then-silence":
        # An interim 100 Continue, then no final response (a backend that never answers).
        read_head(conn)
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        time.sleep(LIFETIME)
    elif mode == "truncate" or mode == "continue-then-truncate":
        read_head(conn)
        if mode == "continue-then-truncate":
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            time.sleep(0.05)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 100)
        time.sleep(0.2)
        # Close TCP without close_notify.
        socket.socket(fileno=conn.detach()).close()
    elif mode == "truncate-clean":
        read_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        time.sleep(0.2)
        # A clean TLS close (close_notify) before the last chunk.
        conn.unwrap().close()
    elif mode == "reject413":
        read_head(conn)
        conn.sendall(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        time.sleep(0.3)
        linger_close(conn)
    elif mode == "reset-on-close" or mode == "reset-on-close-cut":
        # Answers (completely, or cut short), then resets when our close_notify arrives:
        # a server that closes without a TLS shutdown.
        read_head(conn)
        if mode == "reset-on-close":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\nhello")
        conn.settimeout(LIFETIME)
        try:
            while conn.recv(4096):
                pass
        except (OSError, ssl.SSLError):
            pass
        linger_close(conn)
    elif mode == "no-answer":
        read_head(conn)
        time.sleep(LIFETIME)
    elif mode == "midstream":
        read_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"y" * 1000)
        time.sleep(LIFETIME)
    elif mode == "echo":
        # Echoes synchronously: while its write blocks, it does not read.
        conn.settimeout(LIFETIME)
        end = time.time() + LIFETIME
        try:
            while time.time() < end:
                data = conn.recv(16384)
                if not data:
                    break
                conn.sendall(data)
        except (OSError, ssl.SSLError):
            pass
    elif mode == "firehose":
        # Sends as fast as the client reads, until LIFETIME ends (a fast, long stream).
        conn.settimeout(LIFETIME)
        end = time.time() + LIFETIME
        block = b"x" * 16384
        try:
            while time.time() < end:
                conn.sendall(block)
        except (OSError, ssl.SSLError):
            pass
    elif mode == "slow-read":
        # Reads, but only 8 KiB every 50 ms.
        conn.settimeout(LIFETIME)
        end = time.time() + LIFETIME
        try:
            while time.time() < end:
                if not conn.recv(8192):
                    break
                time.sleep(0.05)
        except (OSError, ssl.SSLError):
            pass
    elif mode == "close-no-answer":
        read_head(conn)
        conn.unwrap()
    elif mode == "status-503":
        read_head(conn)
        conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        conn.unwrap()
    elif mode == "chunks-with-pauses":
        read_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        for _ in range(5):
            time.sleep(0.4)
            conn.sendall(b"5\r\nhello\r\n")
        conn.sendall(b"0\r\n\r\n")
        conn.unwrap()
    elif mode == "corrupt-record":
        # A well-framed application-data record whose contents do not decrypt, written under
        # TLS, like a middlebox altering bytes in flight.
        read_head(conn)
        import os
        os.write(conn.fileno(), b"\x17\x03\x03\x00\x40" + bytes(range(64)))
        time.sleep(LIFETIME)
    elif mode == "upload-halfclose":
        # Reads 64 KiB of an upload, then closes its sending side with a bare TCP FIN (no
        # close_notify), and drains whatever else comes until the client closes.
        conn.settimeout(LIFETIME)
        try:
            if not read_upload(conn, 65536):
                return
            conn.shutdown(socket.SHUT_WR)  # drops the TLS layer: a bare TCP FIN
            while conn.recv(65536):
                pass
        except (OSError, ssl.SSLError, ValueError):
            pass
    elif mode == "stop-reading":
        # Reads the first 64 KiB of an upload, then nothing more (its small receive buffer
        # fills, its window closes) until the client gives up.
        conn.settimeout(LIFETIME)
        try:
            if not read_upload(conn, 65536):
                return
        except (OSError, ssl.SSLError):
            return
        time.sleep(LIFETIME)
    elif mode == "answer-then-drain":
        # Answers a POST at once (before its body), then reads the whole upload until the
        # client's close_notify, and closes cleanly: a server that is reading all along.
        read_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        conn.settimeout(LIFETIME)
        try:
            while conn.recv(65536):
                pass
            conn.unwrap()
        except (OSError, ssl.SSLError, ValueError):
            pass
    elif mode == "slow-answer":
        read_head(conn)
        time.sleep(2.4)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        conn.unwrap()


def main():
    mode, cert, key = sys.argv[1], sys.argv[2], sys.argv[3]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if mode == "sni-required":
        def on_sni(sslobj, name, _ctx):
            if name != "expected.example":
                return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
            return None
        ctx.sni_callback = on_sni
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if mode in ("echo", "slow-read", "stop-reading"):
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(LIFETIME)
    print(listener.getsockname()[1], flush=True)
    threading.Timer(LIFETIME + 5, lambda: __import__("os")._exit(0)).start()
    try:
        raw, _ = listener.accept()
        conn = ctx.wrap_socket(raw, server_side=True)
        serve(mode, conn)
    except (OSError, ssl.SSLError):
        pass
    __import__("os")._exit(0)


if __name__ == "__main__":
    main()
