/* libFuzzer: the HTTP request path of kvmexitstat serve. The server runs
 * in this process on a loopback port; each input is sent as one request
 * and the answer read. The property checked: only GET or HEAD of /metrics
 * (after percent-decoding, before any query) is ever answered 200: some
 * request line of the input must be one, read as libmicrohttpd reads it
 * (method and path are C strings, so a NUL ends them). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct http_server *server;
static uint16_t port;

/* One request line: METHOD PATH..., the way libmicrohttpd reads it (NULs
 * end strings, leading NULs and spaces skipped, several spaces allowed). */
static bool metrics_line(const uint8_t *p, const uint8_t *end)
{
	while (p < end && (*p == '\0' || *p == ' ' || *p == '\r'))
		p++;
	const uint8_t *m = p;
	while (p < end && *p && *p != ' ')
		p++;
	size_t mlen = (size_t)(p - m);
	while (p < end && *p != ' ')
		p++; /* the token goes on to the space; its C string ended at a NUL */
	if (!((mlen == 3 && !memcmp(m, "GET", 3)) || (mlen == 4 && !memcmp(m, "HEAD", 4))))
		return false;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\0'))
		p++;
	char path[16];
	size_t k = 0;
	while (p < end && *p != ' ' && *p != '?' && *p != '\r' && *p != '\n' && *p && k < sizeof(path) - 1) {
		if (*p == '%' && end - p >= 3 && isxdigit(p[1]) && isxdigit(p[2])) {
			char hex[3] = { (char)p[1], (char)p[2], 0 };
			path[k++] = (char)strtol(hex, NULL, 16);
			p += 3;
		} else {
			path[k++] = (char)*p++;
		}
	}
	path[k] = '\0';
	return !strcmp(path, "/metrics");
}

/* Whether some line of the input is a GET or HEAD of /metrics (a 200 may
 * answer any request of a pipelined input; empty lines between are skipped). */
static bool is_metrics_request(const uint8_t *d, size_t n)
{
	const uint8_t *p = d, *end = d + n;
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		if (metrics_line(p, nl ? nl : end))
			return true;
		p = nl ? nl + 1 : end;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	if (!server) {
		if (http_server_start(&server, "127.0.0.1", 0, err, sizeof(err)))
			abort();
		port = http_server_port(server);
		http_server_publish(server, "kvm_exits_total 1\n", 18);
	}
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	size_t off = 0;
	while (off < size) {
		ssize_t w = send(fd, data + off, size - off, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	char buf[4096];
	size_t got = 0;
	struct pollfd pf = { fd, POLLIN, 0 };
	/* the first answer's status line; a server that keeps quiet (an
	 * incomplete request) is left after 50 ms */
	while (got < sizeof(buf) - 1 && poll(&pf, 1, 50) > 0) {
		ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	if (!strncmp(buf, "HTTP/1.1 200", 12) || !strncmp(buf, "HTTP/1.0 200", 12))
		if (!is_metrics_request(data, size))
			abort(); /* something other than GET /metrics was served */
	return 0;
}
