"""A plaintext server that upgrades to TLS with STARTTLS, for tlsscope's STARTTLS tests
(one connection, then exit).

usage: starttls_peer.py MODE CERT KEY   -- prints the port it listens on (127.0.0.1), then serves.
MODE is PROTO (smtp, lmtp, imap, pop3, ftp, xmpp, postgres, mysql, ldap, nntp, sieve, irc), or
PROTO-refuse (the server refuses STARTTLS), PROTO-absent (it does not offer it), or smtp-inject
(its go-ahead and extra bytes in one write). Ends by itself within LIFETIME seconds.
"""
import os
import socket
import ssl
import struct
import sys
import threading

LIFETIME = 15.0


class Lines:
    def __init__(self, conn):
        self.conn, self.buf = conn, b""

    def line(self):
        while b"\n" not in self.buf and len(self.buf) < 65536:
            chunk = self.conn.recv(4096)
            if not chunk:
                raise OSError("closed")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r")

    def until(self, marker):
        while marker not in self.buf and len(self.buf) < 65536:
            chunk = self.conn.recv(4096)
            if not chunk:
                raise OSError("closed")
            self.buf += chunk
        self.buf = b""

    def exactly(self, n):
        while len(self.buf) < n:
            # Never more than asked: a MySQL client sends its ClientHello right after its SSL
            # request, and those bytes belong to the TLS layer.
            chunk = self.conn.recv(n - len(self.buf))
            if not chunk:
                raise OSError("closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data


def dialogue(proto, variant, raw):
    """Speaks PROTO until the go-ahead; returns True when TLS should begin."""
    r = Lines(raw)
    send = raw.sendall
    refuse, absent = variant == "refuse", variant == "absent"
    if proto in ("smtp", "lmtp"):
        send(b"220 mail.test ESMTP ready\r\n")
        r.line()
        caps = b"" if absent else b"250-STARTTLS\r\n"
        send(b"250-mail.test greets you\r\n" + caps + b"250 PIPELINING\r\n")
        if absent:
            r.line()
            return False
        r.line()
        if refuse:
            send(b"454 4.7.0 TLS not available due to temporary reason\r\n")
            return False
        if variant == "inject":
            send(b"220 go ahead\r\nEXTRA")
            return True
        send(b"220 2.0.0 Ready to start TLS\r\n")
    elif proto == "imap":
        send(b"* OK IMAP4rev1 ready\r\n")
        r.line()
        caps = b"" if absent else b" STARTTLS"
        send(b"* CAPABILITY IMAP4rev1" + caps + b"\r\na1 OK CAPABILITY completed\r\n")
        if absent:
            return False
        r.line()
        if refuse:
            send(b"a2 NO STARTTLS not now\r\n")
            return False
        send(b"a2 OK Begin TLS negotiation now\r\n")
    elif proto == "pop3":
        send(b"+OK POP3 ready\r\n")
        r.line()
        caps = b"" if absent else b"STLS\r\n"
        send(b"+OK Capability list follows\r\nUSER\r\n" + caps + b".\r\n")
        if absent:
            return False
        r.line()
        if refuse:
            send(b"-ERR TLS not available\r\n")
            return False
        send(b"+OK Begin TLS negotiation\r\n")
    elif proto == "ftp":
        send(b"220-Welcome to the test FTP server\r\n220 ready\r\n")
        r.line()
        if refuse or absent:
            send(b"534 Local policy on server does not allow TLS\r\n")
            return False
        send(b"234 AUTH TLS successful\r\n")
    elif proto == "xmpp":
        r.until(b">")
        feats = b"" if absent else b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
        send(b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
             b"xmlns:stream='http://etherx.jabber.org/streams' id='x1' from='localhost' "
             b"version='1.0'><stream:features>" + feats + b"</stream:features>")
        if absent:
            return False
        r.until(b"/>")
        if refuse:
            send(b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>")
            return False
        send(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    elif proto == "postgres":
        request = r.exactly(8)
        if request != bytes([0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]):
            return False
        if refuse or absent:
            send(b"N")
            return False
        send(b"S")
    elif proto == "mysql":
        caps = 0xFFFF if not absent else 0xFFFF & ~0x0800
        payload = (b"\x0a" + b"8.0.36-test\x00" + struct.pack("<I", 7) + b"abcdefgh" + b"\x00"
                   + struct.pack("<H", caps) + b"\x21" + struct.pack("<H", 2)
                   + struct.pack("<H", 0x81FF) + b"\x15" + b"\x00" * 10 + b"ijklmnopqrst\x00"
                   + b"mysql_native_password\x00")
        send(struct.pack("<I", len(payload))[:3] + b"\x00" + payload)
        if absent:
            return False
        request = r.exactly(36)
        return request[:4] == b"\x20\x00\x00\x01" and request[5] & 0x08 != 0
    elif proto == "ldap":
        request = r.exactly(31)
        if b"1.3.6.1.4.1.1466.20037" not in request:
            return False
        if refuse or absent:
            diag = b"TLS not configured"
            body = b"\x0a\x01\x34" + b"\x04\x00" + b"\x04" + bytes([len(diag)]) + diag
            op = b"\x78" + bytes([len(body)]) + body
            msg = b"\x02\x01\x01" + op
            send(b"\x30" + bytes([len(msg)]) + msg)
            return False
        send(b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00")
    elif proto == "nntp":
        send(b"200 news.test ready\r\n")
        r.line()
        caps = b"" if absent else b"STARTTLS\r\n"
        send(b"101 Capability list:\r\nVERSION 2\r\nREADER\r\n" + caps + b".\r\n")
        if absent:
            return False
        r.line()
        if refuse:
            send(b"580 Can not initiate TLS negotiation\r\n")
            return False
        send(b"382 Continue with TLS negotiation\r\n")
    elif proto == "sieve":
        caps = b"" if absent else b'"STARTTLS"\r\n'
        send(b'"IMPLEMENTATION" "test sieve"\r\n"SIEVE" "fileinto"\r\n' + caps + b'OK "ready"\r\n')
        if absent:
            return False
        r.line()
        if refuse:
            send(b'NO "TLS unavailable"\r\n')
            return False
        send(b'OK "Begin TLS negotiation now"\r\n')
    elif proto == "irc":
        r.line()
        if absent:
            send(b":irc.test 421 * STARTTLS :Unknown command\r\n")
            return False
        send(b":irc.test NOTICE * :*** Looking up your hostname\r\n")
        if refuse:
            send(b":irc.test 691 * :STARTTLS failed\r\n")
            return False
        send(b":irc.test 670 * :STARTTLS successful, proceed with TLS handshake\r\n")
    else:
        return False
    return True


def main():
    mode, cert, key = sys.argv[1], sys.argv[2], sys.argv[3]
    proto, _, variant = mode.partition("-")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(LIFETIME)
    print(listener.getsockname()[1], flush=True)
    threading.Timer(LIFETIME + 5, lambda: os._exit(0)).start()
    try:
        raw, _ = listener.accept()
        raw.settimeout(LIFETIME)
        if dialogue(proto, variant, raw):
            conn = ctx.wrap_socket(raw, server_side=True)
            try:
                conn.recv(1024)  # until our close_notify
                conn.unwrap()
            except (OSError, ssl.SSLError):
                pass
        else:
            try:
                raw.recv(1024)  # until the client closes
            except OSError:
                pass
    except (OSError, ssl.SSLError):
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
