/* libFuzzer: trace text through the importer as kvmexitstat report reads a
 * file (read path: chunks, binary check, overlong lines; every line layout;
 * pairing; kernel-log series), then every output format. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "importer.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	int fd = memfd_create("trace", 0);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || lseek(fd, 0, SEEK_SET)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (!null)
		null = fopen("/dev/null", "w");
	struct importer im;
	importer_init(&im);
	im.err = null;
	im.threads = 1;
	importer_read_fd(&im, fd, "fuzz");
	close(fd);
	importer_finish(&im);
	for (int f = OUT_TABLE; f <= OUT_CSV; f++) {
		struct render_opts o = { (enum out_format)f, (enum aggregate_by)(size % 3), SORT_COUNT };
		struct report_meta m = { .source = "trace" };
		render_report(null, &im, &o, &m);
	}
	importer_free(&im);
	return 0;
}
