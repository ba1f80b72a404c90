/* libmicrohttpd glue for kvmexitstat serve. */
#define _GNU_SOURCE
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define MAX_CONNECTIONS 512
#define IDLE_TIMEOUT_S 10
#define CONNECTION_MEMORY (16 * 1024) /* a larger request is refused (431/413) */

struct http_server {
	struct MHD_Daemon *d;
	pthread_mutex_t lock;
	char *body;            /* the last exposition */
	size_t len;
	uint64_t served, refused;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *type, const char *body,
			     size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct http_server *s = cls;
	(void)version;
	(void)upload;

	/* first call: headers only; refuse request bodies without reading them */
	if (!*state) {
		*state = (void *)1;
		if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
			goto not_allowed;
		return MHD_YES;
	}
	if (*upload_size)
		goto not_allowed;
	if (strcmp(url, "/metrics")) {
		__atomic_add_fetch(&s->refused, 1, __ATOMIC_RELAXED);
		static const char msg[] = "kvmexitstat serves /metrics only\n";
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", msg, sizeof(msg) - 1);
	}
	pthread_mutex_lock(&s->lock);
	enum MHD_Result ret = reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", s->body ? s->body : "",
				    s->body ? s->len : 0);
	pthread_mutex_unlock(&s->lock);
	__atomic_add_fetch(&s->served, 1, __ATOMIC_RELAXED);
	return ret;
not_allowed:
	__atomic_add_fetch(&s->refused, 1, __ATOMIC_RELAXED);
	static const char msg[] = "kvmexitstat answers GET only\n";
	return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", msg, sizeof(msg) - 1);
}

int http_server_start(struct http_server **out, const char *addr, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;

	if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(err, errlen, "--listen: '%s' is not an IPv4 or IPv6 address", addr);
		return -EINVAL;
	}
	struct http_server *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&s->lock, NULL);
	errno = 0;
	s->d = MHD_start_daemon(flags, port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
				MHD_OPTION_END);
	if (!s->d) {
		int e = errno ? errno : EADDRINUSE;
		snprintf(err, errlen, "cannot listen on %s port %u: %s", addr, port, strerror(e));
		pthread_mutex_destroy(&s->lock);
		free(s);
		return -e;
	}
	*out = s;
	return 0;
}

int http_server_publish(struct http_server *s, const char *body, size_t len)
{
	char *copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, body, len);
	copy[len] = '\0';
	pthread_mutex_lock(&s->lock);
	char *old = s->body;
	s->body = copy;
	s->len = len;
	pthread_mutex_unlock(&s->lock);
	free(old);
	return 0;
}

uint16_t http_server_port(struct http_server *s)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	return i ? i->port : 0;
}

void http_server_counts(struct http_server *s, uint64_t *served, uint64_t *refused)
{
	*served = __atomic_load_n(&s->served, __ATOMIC_RELAXED);
	*refused = __atomic_load_n(&s->refused, __ATOMIC_RELAXED);
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	pthread_mutex_destroy(&s->lock);
	free(s->body);
	free(s);
}
