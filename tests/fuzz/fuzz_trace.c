/* libFuzzer: trace text through the importer as kvmexitstat report reads a
 * file (read path: chunks, binary check, overlong lines; every line layout;
 * pairing; kernel-log series), then every output format; and the same
 * read in small parallel parts must give the same report. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "importer.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The whole report of one read: every output format, and the messages. */
static char *report_of(int fd, size_t size, unsigned threads, uint64_t split_min, bool details, size_t *len)
{
	char *text = NULL;
	FILE *out = open_memstream(&text, len);
	if (!out)
		abort();
	struct importer im;
	importer_init(&im);
	im.err = out;
	im.threads = threads;
	im.split_min = split_min;
	im.details = details;
	fprintf(out, "read %d\n", importer_read_fd(&im, fd, "fuzz"));
	fprintf(out, "finish %d\n", importer_finish(&im));
	for (int f = OUT_TABLE; f <= OUT_CSV; f++) {
		struct render_opts o = { .format = (enum out_format)f, .by = (enum aggregate_by)(size % 3), .sort = SORT_COUNT,
					 .detail_top = details ? 3 : 0, .hlt_time = size % 2 };
		struct report_meta m = { .source = "trace", .unparsed = im.unparsed,
					 .unpaired_boundary = im.unpaired_boundary };
		render_report(out, &im.exits, im.klogs, im.nklogs, &o, &m);
	}
	importer_free(&im);
	fclose(out);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("trace", 0);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || lseek(fd, 0, SEEK_SET)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	size_t l1, l2;
	char *one = report_of(fd, size, 1, 1, false, &l1);
	/* the oracle: read in small parts (2 to 8, of 1 to 64 bytes and more),
	 * the report must be one pass's, byte for byte */
	if (lseek(fd, 0, SEEK_SET))
		abort();
	char *many = report_of(fd, size, 2 + (unsigned)(size % 7), 1 + (size / 7) % 64, false, &l2);
	/* --detail (read in one pass, as report reads it then): its own lines
	 * and the exits' info fields */
	size_t l3;
	if (lseek(fd, 0, SEEK_SET))
		abort();
	free(report_of(fd, size, 1, 1, true, &l3));
	close(fd);
	if (l1 != l2 || memcmp(one, many, l1)) {
		fprintf(stderr, "parallel parts differ from one pass:\n--- one pass\n%s\n--- in parts\n%s\n", one, many);
		abort();
	}
	free(one);
	free(many);
	return 0;
}
