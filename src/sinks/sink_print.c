/* Live statistics on stdout: each interval's deltas as a table, JSON or
 * CSV (render.c), then the run's totals. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "sink.h"

struct printer {
	struct render_opts ro;
	bool latency;
	bool slow;              /* --slow: list the slow exits with each report */
	double interval;
	bool printed;           /* an interval: the header is out */
	struct snapshot totals;
};

/* Local time t with its date and zone, ISO 8601: 2026-12-07T02:30:08+01:00. */
static void iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;
	char zone[8];
	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm); /* +0100 */
	size_t n = strlen(buf);
	if (strlen(zone) == 5)
		snprintf(buf + n, len - n, "%.3s:%s", zone, zone + 3);
}

static int print(struct printer *p, struct engine *e, const struct snapshot *s, double seconds, bool total,
		 bool first)
{
	char when[16], iso[40];
	struct health lost;
	time_t now = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%H:%M:%S", localtime_r(&now, &tm));
	iso_time(now, iso, sizeof(iso));
	if (total)
		engine_losses(e, &lost);
	else
		engine_interval_losses(e, &lost);
	struct interval_meta m = { .when = when, .when_iso = iso, .seconds = seconds, .source = engine_describe(e),
				   .total = total, .latency = p->latency, .first = first, .health = &lost,
				   .slow_asked = p->slow };
	if (p->slow)
		m.slow = engine_take_slow(e, &m.nslow);
	return render_interval(stdout, s, &p->ro, &m);
}

static int start(void *self, struct engine *e)
{
	struct printer *p = self;
	fprintf(stderr, "kvmexitstat: counting VM exits with %s%s\n", engine_describe(e),
		p->interval > 0 ? "" : "; Ctrl-C prints the totals");
	return 0;
}

static int reading(void *self, struct engine *e, const struct reading *r, char *msg, size_t len)
{
	struct printer *p = self;
	p->printed = true;
	if (!print(p, e, r->snap, r->seconds, false, r->first))
		return 0;
	snprintf(msg, len, "writing the report failed");
	return -EIO;
}

/* Totals: what the sources hold now, and the VMs that ended on the way. */
static int finish(void *self, struct engine *e, double seconds)
{
	struct printer *p = self;
	if (engine_read(e)) {
		fprintf(stderr, "kvmexitstat: reading the BPF maps failed\n");
		return EXIT_FAIL;
	}
	if (engine_totals(e, &p->totals)) {
		fprintf(stderr, "kvmexitstat: out of memory\n");
		return EXIT_FAIL;
	}
	if (print(p, e, &p->totals, seconds, true, !p->printed)) {
		fprintf(stderr, "kvmexitstat: writing the report failed\n");
		return EXIT_FAIL;
	}
	struct health h;
	char what[512];
	engine_losses(e, &h);
	if (health_describe(what, sizeof(what), &h))
		fprintf(stderr, "kvmexitstat: in all, the collector lost: %s\n", what);
	/* counts that miss exits are a failed run */
	return h.n[H_EXITS_LOST] ? EXIT_FAIL : EXIT_OK;
}

static void close_printer(void *self)
{
	struct printer *p = self;
	snapshot_free(&p->totals);
	free(p);
}

static const struct sink_ops print_ops = {
	.start = start, .reading = reading, .finish = finish, .close = close_printer,
};

int sink_print_open(struct sink *out, const struct live_opts *o, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct printer *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ro = o->ro;
	p->latency = o->latency;
	p->slow = o->slow_ns > 0;
	p->interval = o->interval;
	snapshot_init(&p->totals);
	*out = (struct sink){ &print_ops, p };
	return 0;
}
