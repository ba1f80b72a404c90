/* SVG line charts, written by hand: the output is a few hundred lines of
 * text, and Debian's plotting libraries would bring a toolkit with them. */
#include "plot.h"
#include "text.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 960.0
#define LEFT 84.0
#define RIGHT 210.0   /* room for the legend */
#define TOP 78.0
#define PANEL_H 300.0
#define PANEL2_H 170.0
#define GAP 58.0
#define BOTTOM 56.0

/* Tableau 10: distinct for the common kinds of colour blindness */
static const char *palette[] = { "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
				 "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac" };
/* and a dash pattern each: where series have the same values, their
 * lines lie on top of each other, and the gaps of one show the other */
static const char *dashes[] = { NULL, "10 4", "3 3", "10 3 3 3", "16 5", "2 6", "6 2 2 2", "12 3 3 3 3 3",
				"4 8", "20 3" };
#define OTHER_DASH "6 4"

double plot_nice_step(double span, int n)
{
	if (!(span > 0) || n < 1)
		return 1;
	double raw = span / n, p = pow(10, floor(log10(raw))), f = raw / p;
	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

/* How wide text is drawn: a fixed estimate per character for the font the
 * chart declares (DejaVu Sans, the widest of its list: about 0.62 em a
 * character, 0.70 in bold). tests/cli/svg_check.py measures with the same. */
#define UTF8_LEAD(c) ((((unsigned char)(c)) & 0xc0) != 0x80) /* a code point's first byte */

static double char_width(double px, bool bold)
{
	return px * (bold ? 0.70 : 0.62);
}

/* text, escaped for XML, cut with an ellipsis to fit in width pixels */
static void esc_fit(FILE *out, const char *text, double px, bool bold, double width)
{
	/* XML wants valid UTF-8 and no control characters, even escaped */
	char *safe = text_safe_dup(text ? text : "");
	double room = width / char_width(px, bold); /* in characters */
	size_t chars = 0;
	for (const char *s = safe; s && *s; s++)
		chars += UTF8_LEAD(*s);
	if (safe && (double)chars > room) {
		/* the code points that fit with the ellipsis after them */
		size_t keep = room >= 1 ? (size_t)room - 1 : 0, n = 0;
		for (size_t seen = 0; safe[n]; n++)
			if (UTF8_LEAD(safe[n]) && seen++ == keep)
				break;
		char *cut = malloc(n + 4);
		if (cut) {
			memcpy(cut, safe, n);
			memcpy(cut + n, "\xe2\x80\xa6", 4); /* … */
		}
		free(safe);
		safe = cut;
	}
	for (const char *s = safe; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
	}
	free(safe);
}

static void esc(FILE *out, const char *text)
{
	esc_fit(out, text, 1, false, INFINITY);
}

/* 1500 -> "1.5k", 2000000 -> "2M" */
static void si(double v, char *buf, size_t len)
{
	static const char *suffix[] = { "", "k", "M", "G", "T" };
	int i = 0;
	while (fabs(v) >= 1000 && i < 4) {
		v /= 1000;
		i++;
	}
	snprintf(buf, len, "%.3g%s", v, suffix[i]);
}

/* The largest value, and the smallest above 0. */
static double series_range(const struct plot_panel *pn, size_t n, double *min_pos)
{
	double m = 0;
	*min_pos = INFINITY;
	for (size_t s = 0; s < pn->nseries; s++)
		for (size_t i = 0; i < n; i++) {
			double v = pn->series[s].y[i];
			if (isfinite(v) && v > m)
				m = v;
			if (isfinite(v) && v > 0 && v < *min_pos)
				*min_pos = v;
		}
	return m;
}

/* Where a value lies on the y axis, 0 (bottom) to 1 (top). */
static double y_frac(const struct plot_panel *pn, double v, double lo, double hi)
{
	if (pn->log_y)
		return v > 0 ? (log10(v) - lo) / (hi - lo) : 0;
	return v / hi;
}

/* style0: the style of the panel's first series (the styles of the panels
 * before it are not used again) */
static void panel(FILE *out, const struct plot *p, const struct plot_panel *pn, size_t style0, double y0,
		  double h, double xmin, double xspan, double xscale, const char *x_unit, bool x_labels)
{
	double plot_w = W - LEFT - RIGHT;
	double min_pos, ymax = series_range(pn, p->npoints, &min_pos);
	double ystep = plot_nice_step(ymax > 0 ? ymax : 1, 5);
	double ytop = ceil((ymax > 0 ? ymax : 1) / ystep) * ystep, ylo = 0;
	if (pn->log_y) {
		/* decades around the values */
		ylo = isfinite(min_pos) ? floor(log10(min_pos)) : 0;
		ytop = ymax > 0 ? ceil(log10(ymax)) : ylo + 1;
		if (ytop <= ylo)
			ytop = ylo + 1;
		ystep = 1;
	}
	char buf[32];

	/* grid and y ticks */
	fprintf(out, "<g class=\"axis y\">\n");
	for (double v = ylo; v <= ytop + ystep / 2; v += ystep) {
		double y = y0 + h - (pn->log_y ? (v - ylo) / (ytop - ylo) : v / ytop) * h;
		si(pn->log_y ? pow(10, v) : v, buf, sizeof(buf));
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>\n", LEFT, y,
			LEFT + plot_w, y);
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%s</text>\n", LEFT - 8,
			y + 4, buf);
	}
	fprintf(out, "<text transform=\"translate(%.1f,%.1f) rotate(-90)\" text-anchor=\"middle\" class=\"label\">",
		22.0, y0 + h / 2);
	esc(out, pn->y_label);
	fputs("</text>\n</g>\n", out);

	/* x ticks */
	double xstep = plot_nice_step(xspan / xscale > 0 ? xspan / xscale : 1, 8);
	fprintf(out, "<g class=\"axis x\">\n");
	for (double v = 0; v <= xspan / xscale + xstep / 1000; v += xstep) {
		double x = LEFT + v * xscale / (xspan > 0 ? xspan : 1) * plot_w;
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#f0f0f0\"/>\n", x, y0, x,
			y0 + h);
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n", x, y0 + h, x,
			y0 + h + 5);
		if (x_labels)
			fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">%g</text>\n", x,
				y0 + h + 20, v);
	}
	fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n", LEFT, y0 + h,
		LEFT + plot_w, y0 + h);
	if (x_labels) {
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"label\">", LEFT + plot_w / 2,
			y0 + h + 42);
		esc(out, p->x_label);
		fprintf(out, " (%s)</text>\n", x_unit);
	}
	fputs("</g>\n", out);

	/* the series: a polyline per run of points without a gap */
	for (size_t s = 0; s < pn->nseries; s++) {
		const struct plot_series *se = &pn->series[s];
		size_t st = style0 + s;
		const char *color = se->dashed ? "#8c8c8c" : palette[st % 10];
		const char *dash = se->dashed ? OTHER_DASH : dashes[(st + st / 10) % 10];
		char dash_attr[64] = "";
		if (dash)
			snprintf(dash_attr, sizeof(dash_attr), " stroke-dasharray=\"%s\"", dash);
		fputs("<g class=\"series\" data-name=\"", out);
		esc(out, se->name);
		fprintf(out, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-linejoin=\"round\"%s>\n", color,
			dash_attr);
		bool open = false;
		for (size_t i = 0; i < p->npoints; i++) {
			if (!isfinite(se->y[i]) || (pn->log_y && se->y[i] <= 0)) {
				if (open)
					fputs("\"/>\n", out);
				open = false;
				continue;
			}
			double x = LEFT + (p->x[i] - xmin) / (xspan > 0 ? xspan : 1) * plot_w;
			double y = y0 + h - y_frac(pn, se->y[i], ylo, ytop) * h;
			fprintf(out, "%s%.1f,%.1f", open ? " " : "<polyline points=\"", x, y);
			open = true;
		}
		if (open)
			fputs("\"/>\n", out);
		fputs("</g>\n", out);
		/* legend entry */
		double ly = y0 + 8 + (double)s * 22;
		fprintf(out, "<g class=\"legend\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			     "stroke-width=\"3\"%s/><text x=\"%.1f\" y=\"%.1f\" class=\"legend\">",
			W - RIGHT + 8, ly, W - RIGHT + 42, ly, color, dash_attr, W - RIGHT + 50, ly + 4);
		esc_fit(out, se->name, 12, false, RIGHT - 50 - 6);
		fputs("</text></g>\n", out);
	}
}

/* The marks: a thin line across the panel and a triangle above it at
 * each, its label the tooltip; one legend entry under the series'. */
static void marks(FILE *out, const struct plot *p, double y0, double h, double xmin, double xspan)
{
	double plot_w = W - LEFT - RIGHT;
	fprintf(out, "<g class=\"marks\" data-count=\"%zu\" fill=\"#d62728\" stroke=\"#d62728\">\n", p->nmarks);
	for (size_t i = 0; i < p->nmarks; i++) {
		double f = xspan > 0 ? (p->marks[i].x - xmin) / xspan : 0;
		double x = LEFT + (f < 0 ? 0 : f > 1 ? 1 : f) * plot_w;
		fprintf(out, "<g class=\"mark\" data-x=\"%.9g\"><title>", p->marks[i].x);
		esc(out, p->marks[i].label);
		fprintf(out, "</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke-opacity=\"0.35\"/>"
			     "<path d=\"M%.1f,%.1f l-4,-7 h8 z\" stroke=\"none\"/></g>\n",
			x, y0, x, y0 + h, x, y0);
	}
	double ly = y0 + 8 + (double)p->panels[0].nseries * 22;
	fprintf(out, "<g class=\"legend\"><path d=\"M%.1f,%.1f l-4,-7 h8 z\" fill=\"#d62728\" stroke=\"none\"/>"
		     "<text x=\"%.1f\" y=\"%.1f\" class=\"legend\" stroke=\"none\">",
		W - RIGHT + 25, ly + 4, W - RIGHT + 50, ly + 4);
	char name[96];
	snprintf(name, sizeof(name), "%s (%zu)", p->marks_name ? p->marks_name : "marks", p->nmarks);
	esc_fit(out, name, 12, false, RIGHT - 50 - 6);
	fputs("</text></g>\n</g>\n", out);
}

int plot_svg(FILE *out, const struct plot *p)
{
	double xmin = p->npoints ? p->x[0] : 0, xmax = p->npoints ? p->x[p->npoints - 1] : 1;
	double xspan = xmax - xmin;
	/* minutes for long recordings, ms or µs for short traces */
	double xscale = xspan > 1200 ? 60 : xspan >= 2 ? 1 : xspan >= 2e-3 ? 1e-3 : 1e-6;
	const char *x_unit = xscale > 1 ? "min" : xscale == 1 ? "s" : xscale == 1e-3 ? "ms" : "µs";
	double h = TOP + PANEL_H + BOTTOM + (p->npanels > 1 ? GAP + PANEL2_H : 0);

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		     "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
		     "<style>.title{font-size:19px;font-weight:bold;fill:#222}.subtitle{font-size:12px;fill:#666}"
		     ".tick{font-size:11px;fill:#555}.label{font-size:13px;fill:#333}.legend{font-size:12px;fill:#333}"
		     "</style>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		W, h, W, h);
	fprintf(out, "<text x=\"%.1f\" y=\"30\" class=\"title\">", LEFT);
	esc_fit(out, p->title, 19, true, W - LEFT - 8);
	fprintf(out, "</text>\n<text x=\"%.1f\" y=\"52\" class=\"subtitle\">", LEFT);
	esc_fit(out, p->subtitle, 12, false, W - LEFT - 8);
	fputs("</text>\n", out);
	/* each point's interval length in seconds, for programs that check
	 * what a rate was computed over */
	if (p->seconds) {
		fputs("<metadata class=\"interval-seconds\">", out);
		for (size_t i = 0; i < p->npoints; i++)
			fprintf(out, "%s%.9g", i ? " " : "", p->seconds[i]);
		fputs("</metadata>\n", out);
	}
	for (size_t i = 0, style0 = 0; i < p->npanels; style0 += p->panels[i++].nseries) {
		double y0 = i ? TOP + PANEL_H + GAP : TOP;
		panel(out, p, &p->panels[i], style0, y0, i ? PANEL2_H : PANEL_H, xmin, xspan, xscale, x_unit,
		      i + 1 == p->npanels);
	}
	if (p->nmarks)
		marks(out, p, TOP, PANEL_H, xmin, xspan);
	fputs("</svg>\n", out);
	return fflush(out) || ferror(out) ? -EIO : 0;
}
