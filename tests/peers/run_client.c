/* A TLS client for the `tlsscope run` tests, each mode a way a real program uses (or misuses)
 * OpenSSL. Every wait has a timeout and every loop a bound, so no mode can hang a test.
 *
 * usage: run_client MODE PORT [MIB]   (connects to 127.0.0.1:PORT, SNI localhost, no verification)
 *   ok                    blocking: handshake, GET /, read to the end, shutdown (correct)
 *   nonblocking-ok        non-blocking, waiting the right way after each WANT_* (correct)
 *   want-write-wait-read  fills the socket until SSL_write says WANT_WRITE, then polls for POLLIN
 *   pending               reads 16 bytes of a longer record, then polls while SSL_pending > 0
 *   retry-shorter         after SSL_write's WANT_WRITE, retries with half the length
 *   want-read-as-error    non-blocking: the first SSL_read's WANT_READ is taken as a failure
 *   shutdown-after-fatal  handshake with a peer that does not speak TLS, then SSL_shutdown
 *   threads               two threads, one `ok` connection each
 *   fork                  forks; parent and child make one `ok` connection each
 *   bulk                  writes MIB MiB in 16 KiB SSL_write calls (the benchmark)
 *   callbacks-ssl         `ok` with its own info and message callbacks set on the SSL object
 *   callbacks-ctx         the same, set on the SSL_CTX; both print how often each was called
 *   errno                 checks that what OpenSSL and the socket calls return, and errno after
 *                         them, are what the program should see (exit 3 if not)
 *   free-no-shutdown      handshake, GET /, one SSL_read, then SSL_free without SSL_shutdown
 *   exit-open             the same, then exits without SSL_shutdown or SSL_free
 *   hold                  handshake, prints "ready", then blocks in SSL_read (30 s at most)
 *   high-fd               nonblocking-ok with its socket moved to descriptor 5000 (dup2), waiting
 *                         with poll in the handshake and epoll after; prints the waits it made
 *   spin                  handshake, prints "ready", waits for a line on standard input, makes
 *                         60000 non-blocking SSL_read calls (each WANT_READ), prints "spun",
 *                         waits for the end of standard input, frees the connection
 *   flood                 handshake, prints "ready", then non-blocking SSL_read calls without
 *                         pause for 30 s (a stream of records until a signal ends it)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static SSL_CTX *ctx;
static int port;

static int tcp(int sndbuf) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (sndbuf > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); exit(2); }
    return fd;
}

static SSL *tls(int fd) {
    SSL *s = SSL_new(ctx);
    SSL_set_fd(s, fd);
    SSL_set_tlsext_host_name(s, "localhost");
    return s;
}

static void nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static int wait_fd(int fd, short events, int ms) {
    struct pollfd p = {.fd = fd, .events = events};
    return poll(&p, 1, ms);
}

/* A correct non-blocking handshake: wait for what SSL_get_error asks, at most 200 rounds. */
static int handshake_nb(SSL *s, int fd) {
    for (int i = 0; i < 200; i++) {
        int r = SSL_connect(s);
        if (r == 1) return 1;
        int e = SSL_get_error(s, r);
        if (e == SSL_ERROR_WANT_READ) wait_fd(fd, POLLIN, 2000);
        else if (e == SSL_ERROR_WANT_WRITE) wait_fd(fd, POLLOUT, 2000);
        else return 0;
    }
    return 0;
}

static const char GET[] = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";

static int ok(void) {
    int fd = tcp(0);
    SSL *s = tls(fd);
    if (SSL_connect(s) != 1) { ERR_print_errors_fp(stderr); return 1; }
    SSL_write(s, GET, sizeof GET - 1);
    char buf[4096];
    long total = 0;
    for (int i = 0; i < 10000; i++) {
        int n = SSL_read(s, buf, sizeof buf);
        if (n <= 0) break;
        total += n;
    }
    SSL_shutdown(s);
    SSL_free(s);
    close(fd);
    printf("read %ld bytes\n", total);
    return total > 0 ? 0 : 1;
}

static int nonblocking_ok(void) {
    int fd = tcp(0);
    nonblocking(fd);
    SSL *s = tls(fd);
    if (!handshake_nb(s, fd)) return 1;
    size_t off = 0;
    while (off < sizeof GET - 1) {
        int n = SSL_write(s, GET + off, sizeof GET - 1 - off);
        if (n > 0) { off += n; continue; }
        int e = SSL_get_error(s, n);
        if (e == SSL_ERROR_WANT_WRITE) wait_fd(fd, POLLOUT, 2000);
        else if (e == SSL_ERROR_WANT_READ) wait_fd(fd, POLLIN, 2000);
        else return 1;
    }
    char buf[4096];
    long total = 0;
    for (int i = 0; i < 10000; i++) {
        int n = SSL_read(s, buf, sizeof buf);
        if (n > 0) { total += n; continue; }
        int e = SSL_get_error(s, n);
        if (e == SSL_ERROR_WANT_READ) { if (wait_fd(fd, POLLIN, 2000) <= 0) break; }
        else if (e == SSL_ERROR_WANT_WRITE) { if (wait_fd(fd, POLLOUT, 2000) <= 0) break; }
        else break;
    }
    SSL_shutdown(s);
    SSL_free(s);
    close(fd);
    printf("read %ld bytes\n", total);
    return total > 0 ? 0 : 1;
}

/* Writes until SSL_write returns WANT_WRITE (at most 64 MiB); returns the length it asked. */
static int fill(SSL *s, char *big, int len) {
    for (int i = 0; i < 4096; i++) {
        int n = SSL_write(s, big, len);
        if (n > 0) continue;
        if (SSL_get_error(s, n) == SSL_ERROR_WANT_WRITE) return len;
        return -1;
    }
    return -1;
}

static int want_write_wait_read(int shorter) {
    int fd = tcp(16 * 1024);
    nonblocking(fd);
    SSL *s = tls(fd);
    if (!handshake_nb(s, fd)) return 1;
    static char big[65536];
    int len = fill(s, big, sizeof big);
    if (len < 0) { fprintf(stderr, "no WANT_WRITE\n"); return 1; }
    if (shorter) {
        wait_fd(fd, POLLOUT, 300);
        int n = SSL_write(s, big, len / 2);
        printf("retry returned %d error %d\n", n, SSL_get_error(s, n));
    } else {
        /* The bug: SSL_write wants the socket writable, we wait for readable. */
        printf("poll for POLLIN returned %d\n", wait_fd(fd, POLLIN, 300));
    }
    SSL_free(s);
    close(fd);
    return 0;
}

static int pending(void) {
    int fd = tcp(0);
    SSL *s = tls(fd);
    if (SSL_connect(s) != 1) return 1;
    SSL_write(s, GET, sizeof GET - 1);
    char buf[16];
    int n = SSL_read(s, buf, sizeof buf);
    /* The bug: decrypted bytes wait in OpenSSL, and we wait on the socket. */
    printf("read %d, pending %d, poll %d\n", n, SSL_pending(s), wait_fd(fd, POLLIN, 300));
    char rest[4096];
    for (int i = 0; i < 10000 && SSL_read(s, rest, sizeof rest) > 0; i++) {}
    SSL_shutdown(s);
    SSL_free(s);
    close(fd);
    return 0;
}

static int want_read_as_error(void) {
    int fd = tcp(0);
    nonblocking(fd);
    SSL *s = tls(fd);
    if (!handshake_nb(s, fd)) return 1;
    char buf[4096];
    /* The server says nothing until asked: SSL_read returns WANT_READ. */
    int r = SSL_read(s, buf, sizeof buf);
    if (r <= 0) {
        /* The bug: WANT_READ is not a failure. */
        fprintf(stderr, "read failed (error %d)\n", SSL_get_error(s, r));
        SSL_free(s);
        close(fd);
        return 1;
    }
    return 0;
}

static int shutdown_after_fatal(void) {
    int fd = tcp(0);
    SSL *s = tls(fd);
    int r = SSL_connect(s);
    int e = SSL_get_error(s, r);
    /* The bug: after SSL_ERROR_SSL / SYSCALL, SSL_shutdown must not be called. */
    printf("connect %d error %d, shutdown %d\n", r, e, SSL_shutdown(s));
    SSL_free(s);
    close(fd);
    return 0;
}

static void *thread_ok(void *arg) {
    (void)arg;
    return (void *)(long)ok();
}

static int bulk(long mib) {
    int fd = tcp(0);
    SSL *s = tls(fd);
    if (SSL_connect(s) != 1) return 1;
    static char chunk[16384];
    long calls = mib * 1024 * 1024 / sizeof chunk;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < calls; i++) {
        if (SSL_write(s, chunk, sizeof chunk) <= 0) return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double secs = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    printf("bulk %ld MiB in %.3f s: %.1f MiB/s\n", mib, secs, mib / secs);
    SSL_shutdown(s);
    SSL_free(s);
    close(fd);
    return 0;
}

/* What the interposer must not change: results and errno as OpenSSL and libc leave them. */
static int errno_check(void) {
    int fd = tcp(0);
    nonblocking(fd);
    SSL *s = tls(fd);
    if (!handshake_nb(s, fd)) return 1;
    char buf[64];
    /* The server says nothing until asked: WANT_READ, and errno is the socket read's EAGAIN. */
    errno = 0;
    int r = SSL_read(s, buf, sizeof buf);
    int saved = errno, e = SSL_get_error(s, r);
    if (r != -1 || e != SSL_ERROR_WANT_READ || saved != EAGAIN) {
        fprintf(stderr, "SSL_read: r=%d error=%d errno=%d\n", r, e, saved);
        return 3;
    }
    /* A plain failing call outside OpenSSL keeps its errno too. */
    errno = 0;
    if (write(-1, "x", 1) != -1 || errno != EBADF) { fprintf(stderr, "write(-1): errno=%d\n", errno); return 3; }
    errno = 0;
    /* (the server is started without session tickets, so nothing is waiting to be read) */
    ssize_t got = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (got != -1 || errno != EAGAIN) { fprintf(stderr, "recv: returned %zd, errno=%d\n", got, errno); return 3; }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    errno = 0;
    if (poll(&p, 1, 10) < 0 || errno != 0) { fprintf(stderr, "poll: errno=%d\n", errno); return 3; }
    SSL_free(s);
    close(fd);
    return 0;
}

/* Handshake, the request, one SSL_read: a connection the caller ends without SSL_shutdown. */
static SSL *half_read(void) {
    int fd = tcp(0);
    SSL *s = tls(fd);
    if (SSL_connect(s) != 1) { ERR_print_errors_fp(stderr); exit(1); }
    SSL_write(s, GET, sizeof GET - 1);
    char buf[64];
    printf("read %d\n", SSL_read(s, buf, sizeof buf));
    fflush(stdout);
    return s;
}

static int hold(void) {
    int fd = tcp(0);
    struct timeval tv = {.tv_sec = 30};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSL *s = tls(fd);
    if (SSL_connect(s) != 1) { ERR_print_errors_fp(stderr); return 1; }
    printf("ready\n");
    fflush(stdout);
    char buf[64];
    /* The server says nothing until asked: this blocks until a signal ends the program. */
    SSL_read(s, buf, sizeof buf);
    return 0;
}

static int high_fd(void) {
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    if (r.rlim_cur <= 5000 && r.rlim_max > 5000) { r.rlim_cur = 5001; setrlimit(RLIMIT_NOFILE, &r); }
    int low = tcp(0);
    int fd = dup2(low, 5000);
    if (fd != 5000) { perror("dup2"); return 2; }
    close(low);
    nonblocking(fd);
    SSL *s = tls(fd);
    int polls = 0, epolls = 0;
    for (int i = 0; i < 200; i++) {
        int r = SSL_connect(s);
        if (r == 1) break;
        int e = SSL_get_error(s, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return 1;
        wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, 2000);
        polls++;
    }
    if (!SSL_is_init_finished(s)) return 1;
    char buf[4096];
    /* Nothing comes before the request: WANT_READ, and a poll on descriptor 5000. */
    if (SSL_get_error(s, SSL_read(s, buf, sizeof buf)) == SSL_ERROR_WANT_READ) {
        wait_fd(fd, POLLIN, 100);
        polls++;
    }
    SSL_write(s, GET, sizeof GET - 1);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    struct epoll_event got;
    /* The answer to the request: an epoll wait that ends readable. */
    epoll_wait(ep, &got, 1, 2000);
    epolls++;
    long total = 0;
    for (int i = 0; i < 10000; i++) {
        int n = SSL_read(s, buf, sizeof buf);
        if (n > 0) { total += n; continue; }
        if (SSL_get_error(s, n) != SSL_ERROR_WANT_READ) break;
        epolls++;
        if (epoll_wait(ep, &got, 1, 2000) <= 0) break;
    }
    SSL_shutdown(s);
    SSL_free(s);
    close(fd);
    printf("read %ld bytes, polls %d epolls %d\n", total, polls, epolls);
    return total > 0 && polls > 0 && epolls > 0 ? 0 : 1;
}

static int spin(void) {
    int fd = tcp(0);
    nonblocking(fd);
    SSL *s = tls(fd);
    if (!handshake_nb(s, fd)) return 1;
    char line[16], buf[64];
    printf("ready\n");
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin)) return 1;
    for (int i = 0; i < 60000; i++) SSL_read(s, buf, sizeof buf);
    printf("spun\n");
    fflush(stdout);
    while (fgets(line, sizeof line, stdin)) {}
    SSL_free(s);
    close(fd);
    return 0;
}

static int flood(void) {
    int fd = tcp(0);
    nonblocking(fd);
    SSL *s = tls(fd);
    if (!handshake_nb(s, fd)) return 1;
    printf("ready\n");
    fflush(stdout);
    char buf[64];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0;; i++) {
        SSL_read(s, buf, sizeof buf);
        if (i % 1000 == 0) {
            clock_gettime(CLOCK_MONOTONIC, &b);
            if (b.tv_sec - a.tv_sec >= 30) break;
        }
    }
    SSL_free(s);
    close(fd);
    return 0;
}

/* The program's own callbacks: counted, and the message callback's argument checked. */
static int info_calls, msg_calls, msg_arg_ok = 1, get_ok = 1;
static void own_info(const SSL *s, int where, int ret) { (void)s; (void)where; (void)ret; info_calls++; }
static void own_msg(int write_p, int version, int ct, const void *buf, size_t len, SSL *s, void *arg) {
    (void)write_p; (void)version; (void)ct; (void)buf; (void)len; (void)s;
    if (arg != &msg_calls) msg_arg_ok = 0;
    msg_calls++;
}

static int callbacks(int ssl_level) {
    if (!ssl_level) {
        SSL_CTX_set_info_callback(ctx, own_info);
        SSL_CTX_set_msg_callback(ctx, own_msg);
        SSL_CTX_set_msg_callback_arg(ctx, &msg_calls);
    }
    int fd = tcp(0);
    SSL *s = tls(fd);
    if (ssl_level) {
        SSL_set_info_callback(s, own_info);
        SSL_set_msg_callback(s, own_msg);
        SSL_set_msg_callback_arg(s, &msg_calls);
    }
    /* What the program asks back is what it set (the SSL object has none of its own with ctx). */
    if (SSL_get_info_callback(s) != (ssl_level ? own_info : NULL)) get_ok = 0;
    if (SSL_connect(s) != 1) { ERR_print_errors_fp(stderr); return 1; }
    SSL_write(s, GET, sizeof GET - 1);
    char buf[4096];
    for (int i = 0; i < 10000; i++)
        if (SSL_read(s, buf, sizeof buf) <= 0) break;
    SSL_shutdown(s);
    SSL_free(s);
    close(fd);
    printf("info %d msg %d arg %s get %s\n", info_calls, msg_calls, msg_arg_ok ? "ok" : "wrong",
           get_ok ? "ok" : "wrong");
    return info_calls > 0 && msg_calls > 0 && msg_arg_ok && get_ok ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: run_client MODE PORT [MIB]\n"); return 2; }
    port = atoi(argv[2]);
    ctx = SSL_CTX_new(TLS_client_method());
    const char *m = argv[1];
    if (!strcmp(m, "ok")) return ok();
    if (!strcmp(m, "nonblocking-ok")) return nonblocking_ok();
    if (!strcmp(m, "want-write-wait-read")) return want_write_wait_read(0);
    if (!strcmp(m, "retry-shorter")) return want_write_wait_read(1);
    if (!strcmp(m, "pending")) return pending();
    if (!strcmp(m, "want-read-as-error")) return want_read_as_error();
    if (!strcmp(m, "shutdown-after-fatal")) return shutdown_after_fatal();
    if (!strcmp(m, "threads")) {
        pthread_t a, b;
        void *ra, *rb;
        pthread_create(&a, NULL, thread_ok, NULL);
        pthread_create(&b, NULL, thread_ok, NULL);
        pthread_join(a, &ra);
        pthread_join(b, &rb);
        return (ra || rb) ? 1 : 0;
    }
    if (!strcmp(m, "fork")) {
        pid_t pid = fork();
        if (pid == 0) _exit(ok());
        int st = 0, mine = ok();
        waitpid(pid, &st, 0);
        return mine || !WIFEXITED(st) || WEXITSTATUS(st);
    }
    if (!strcmp(m, "bulk") && argc > 3) return bulk(atol(argv[3]));
    if (!strcmp(m, "errno")) return errno_check();
    if (!strcmp(m, "callbacks-ssl")) return callbacks(1);
    if (!strcmp(m, "callbacks-ctx")) return callbacks(0);
    if (!strcmp(m, "free-no-shutdown")) { SSL_free(half_read()); return 0; }
    if (!strcmp(m, "exit-open")) { half_read(); return 0; }
    if (!strcmp(m, "hold")) return hold();
    if (!strcmp(m, "high-fd")) return high_fd();
    if (!strcmp(m, "spin")) return spin();
    if (!strcmp(m, "flood")) return flood();
    fprintf(stderr, "unknown mode %s\n", m);
    return 2;
}
