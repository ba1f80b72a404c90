/* The static build's stand-in for serve.c (make static, for the testbed):
 * libmicrohttpd's static library would bring GnuTLS with it, and the
 * testbed has no Prometheus to scrape it. */
#include "serve.h"

#include <errno.h>
#include <stdio.h>

int http_server_start(struct http_server **out, const char *addr, uint16_t port, char *err, size_t errlen)
{
	(void)out;
	(void)addr;
	(void)port;
	snprintf(err, errlen, "this kvmexitstat was built statically, without HTTP (make builds it with)");
	return -ENOTSUP;
}

int http_server_publish(struct http_server *s, const char *body, size_t len)
{
	(void)s;
	(void)body;
	(void)len;
	return -ENOTSUP;
}

void http_server_stop(struct http_server *s)
{
	(void)s;
}

uint16_t http_server_port(struct http_server *s)
{
	(void)s;
	return 0;
}

void http_server_counts(struct http_server *s, uint64_t *served, uint64_t *refused)
{
	(void)s;
	*served = *refused = 0;
}
