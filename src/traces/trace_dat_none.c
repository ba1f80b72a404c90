/* trace_dat.h for a build without libtracecmd (the static one, for the
 * testbeds: Debian has no static libtracecmd): says so. */
#include <errno.h>
#include <stdio.h>

#include "trace_dat.h"

int trace_dat_read(struct importer *im, const char *path)
{
	return trace_dat_read_each(im, path, NULL, NULL);
}

int trace_dat_read_each(struct importer *im, const char *path,
			int (*before)(void *ctx, const struct trace_line *t), void *ctx)
{
	(void)before;
	(void)ctx;
	fprintf(im->err, "kvmexitstat: %s: a trace-cmd data file, and this kvmexitstat was built without "
		"libtracecmd: read it as text (trace-cmd report FILE | kvmexitstat report -)\n", path);
	return -ENOTSUP;
}
