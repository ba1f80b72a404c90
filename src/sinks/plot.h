/* SVG charts of exit rates over time: one line per series on a time axis,
 * with nice ticks, units, a legend and a title; optionally a second panel
 * (handling-time percentiles). Knows nothing of where the numbers came from. */
#ifndef KVMEXITSTAT_PLOT_H
#define KVMEXITSTAT_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct plot_series {
	const char *name;
	const double *y;   /* one value per point; NAN: no value (a gap) */
	bool dashed;       /* e.g. "other" */
};

struct plot_panel {
	const char *y_label;           /* "exits/s" */
	bool log_y;                    /* logarithmic y axis (values > 0) */
	const struct plot_series *series;
	size_t nseries;
};

/* A moment marked on the time axis (a slow exit), with its label. */
struct plot_mark {
	double x;
	const char *label;
};

struct plot {
	const char *title;
	const char *subtitle;
	const char *x_label;           /* "seconds from the start" */
	const double *x;               /* npoints, increasing */
	const double *seconds;         /* each point's interval length, or NULL */
	size_t npoints;
	struct plot_panel panels[2];
	size_t npanels;
	const struct plot_mark *marks; /* drawn on the first panel, clamped to the axis */
	size_t nmarks;
	const char *marks_name;        /* their legend entry ("slow exits") */
};

/* Writes the chart as SVG. 0 or -EIO. */
int plot_svg(FILE *out, const struct plot *p);

/* A "nice" tick step (1, 2 or 5 times a power of ten) giving about n ticks
 * over [0, span]. */
double plot_nice_step(double span, int n);

#endif
