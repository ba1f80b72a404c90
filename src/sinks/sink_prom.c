/* serve: each reading's counts since the VMs started, in Prometheus's
 * text format (prom.c), published to the HTTP server (serve.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "prom.h"
#include "serve.h"
#include "sink.h"

struct exporter {
	const struct live_opts *o;
	struct http_server *http;
	uint64_t readings;
};

/* The metrics of the VMs running now (an ended VM's series end with it). */
static int publish(struct exporter *x, struct engine *e, const struct snapshot *cur)
{
	char *buf = NULL;
	size_t len = 0;
	struct timespec now;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	clock_gettime(CLOCK_REALTIME, &now);
	struct prom_health h = { .source = engine_describe(e),
				 .last_update = (double)now.tv_sec + (double)now.tv_nsec / 1e9,
				 .readings = x->readings };
	engine_losses(e, &h.lost);
	int err = prom_render(f, cur, x->o->vcpu_label, &h);
	if (fclose(f) || !buf)
		err = -ENOMEM;
	if (!err)
		err = http_server_publish(x->http, buf, len);
	free(buf);
	return err;
}

static int start(void *self, struct engine *e)
{
	struct exporter *x = self;
	const struct live_opts *o = x->o;
	char msg[512];
	if (http_server_start(&x->http, o->listen_addr, o->listen_port, msg, sizeof(msg))) {
		fprintf(stderr, "kvmexitstat serve: %s\n", msg);
		return EXIT_FAIL;
	}
	bool v6 = strchr(o->listen_addr, ':');
	fprintf(stderr, "kvmexitstat: serving VM exit metrics from %s at http://%s%s%s:%u/metrics, read every %g s\n",
		engine_describe(e), v6 ? "[" : "", o->listen_addr, v6 ? "]" : "", o->listen_port, o->interval);
	/* the first scrape finds the VMs already running */
	if (engine_read(e) || publish(x, e, engine_current(e))) {
		fprintf(stderr, "kvmexitstat serve: the first reading failed\n");
		return EXIT_FAIL;
	}
	return 0;
}

static int reading(void *self, struct engine *e, const struct reading *r, char *msg, size_t len)
{
	struct exporter *x = self;
	x->readings++;
	if (!publish(x, e, r->snap))
		return 0;
	snprintf(msg, len, "out of memory");
	return -ENOMEM;
}

static int finish(void *self, struct engine *e, double seconds)
{
	struct exporter *x = self;
	uint64_t served, refused;
	(void)e;
	(void)seconds;
	http_server_counts(x->http, &served, &refused);
	fprintf(stderr, "kvmexitstat serve: %llu requests answered, %llu refused\n", (unsigned long long)served,
		(unsigned long long)refused);
	return EXIT_OK;
}

static void close_exporter(void *self)
{
	struct exporter *x = self;
	http_server_stop(x->http);
	free(x);
}

static const struct sink_ops prom_ops = {
	.cumulative = true, .start = start, .reading = reading, .finish = finish, .close = close_exporter,
};

int sink_prom_open(struct sink *out, const struct live_opts *o, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct exporter *x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->o = o;
	*out = (struct sink){ &prom_ops, x };
	return 0;
}
