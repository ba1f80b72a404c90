/* The HTTP side of kvmexitstat serve (libmicrohttpd): GET of the metrics
 * path answers the last published exposition; every other path or method
 * is refused. One polling thread with epoll; bounded connections, memory
 * per connection and idle time, so that many or slow clients cannot pile
 * up. */
#ifndef KVMEXITSTAT_SERVE_H
#define KVMEXITSTAT_SERVE_H

#include <stddef.h>
#include <stdint.h>

struct http_server;

/* Listen on addr:port ("127.0.0.1", "::1", "0.0.0.0"). 0, or -errno with a
 * one-line message. */
int http_server_start(struct http_server **out, const char *addr, uint16_t port, char *err, size_t errlen);
/* The body /metrics answers from now on (copied). 0 or -ENOMEM. */
int http_server_publish(struct http_server *s, const char *body, size_t len);
void http_server_stop(struct http_server *s);
/* The port it listens on (the one the system chose for port 0). */
uint16_t http_server_port(struct http_server *s);
/* Requests answered, and refused (wrong path, method or too large). */
void http_server_counts(struct http_server *s, uint64_t *served, uint64_t *refused);

#endif
