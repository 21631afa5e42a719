"""A forking TLS server for `tlsscope run`: prints its port, then forks a child per connection
(up to COUNT), each child answers one line and exits; the parent waits for them and exits.

usage: forking_server.py CERT KEY COUNT
"""
import os
import socket
import ssl
import sys

cert, key, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(8)
listener.settimeout(30)
print(listener.getsockname()[1], flush=True)
children = []
for _ in range(count):
    conn, _ = listener.accept()
    pid = os.fork()
    if pid == 0:
        listener.close()
        conn.settimeout(10)
        tls = ctx.wrap_socket(conn, server_side=True)
        line = tls.recv(1024)
        tls.sendall(b"pid %d got %d bytes\n" % (os.getpid(), len(line)))
        tls.unwrap()
        tls.close()
        os._exit(0)
    conn.close()
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
