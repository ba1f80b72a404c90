/* top: each reading's counts since the VMs started, drawn by the ncurses
 * view (top.c), which answers keys between readings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "sink.h"
#include "top.h"

struct viewer {
	const struct live_opts *o;
	struct top *top;
};

static int start(void *self, struct engine *e)
{
	struct viewer *v = self;
	fprintf(stderr, "kvmexitstat: counting VM exits with %s\n", engine_describe(e));
	char msg[160];
	if (!(v->top = top_open(engine_describe(e), msg, sizeof(msg)))) {
		fprintf(stderr, "kvmexitstat top: %s\n", msg);
		return EXIT_FAIL;
	}
	struct health lost;
	engine_losses(e, &lost);
	if (engine_read(e) || top_update(v->top, engine_current(e), &lost)) {
		top_close(v->top);
		v->top = NULL;
		fprintf(stderr, "kvmexitstat: reading the BPF maps failed\n");
		return EXIT_FAIL;
	}
	return 0;
}

static bool wait_keys(void *self, double seconds, double *interval)
{
	struct viewer *v = self;
	/* keys are answered between readings */
	bool go_on = top_keys(v->top, (int)(seconds * 1000) + 1);
	if (top_interval(v->top) > 0)
		*interval = top_interval(v->top);
	return go_on;
}

static int reading(void *self, struct engine *e, const struct reading *r, char *msg, size_t len)
{
	struct viewer *v = self;
	struct health lost;
	engine_losses(e, &lost);
	if (!top_update(v->top, r->snap, &lost))
		return 0;
	snprintf(msg, len, "out of memory");
	return -ENOMEM;
}

static int finish(void *self, struct engine *e, double seconds)
{
	(void)self;
	(void)e;
	(void)seconds;
	return EXIT_OK;
}

static void close_viewer(void *self)
{
	struct viewer *v = self;
	top_close(v->top);
	free(v);
}

static const struct sink_ops top_ops = {
	.cumulative = true, .quiet = true, .start = start, .wait = wait_keys, .reading = reading,
	.finish = finish, .close = close_viewer,
};

int sink_top_open(struct sink *out, const struct live_opts *o, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct viewer *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->o = o;
	*out = (struct sink){ &top_ops, v };
	return 0;
}
