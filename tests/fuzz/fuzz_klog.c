/* libFuzzer: kernel log lines (the CMPE283 report, kvmexitstat's per-vCPU
 * form too): each input line gets the "CMPE283: " prefix, so that the
 * fuzzer spends its time in the kernel-log parser and its series. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "importer_priv.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	if (!null)
		null = fopen("/dev/null", "w");
	struct importer im;
	importer_init(&im);
	im.err = null;
	char *line = malloc(size + 16);
	const char *p = (const char *)data, *end = p + size;
	while (line && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		memcpy(line, "CMPE283: ", 9);
		memcpy(line + 9, p, n);
		importer_line(&im, line, n + 9);
		p += n + 1;
	}
	free(line);
	importer_klog_close(&im);
	struct render_opts o = { .format = OUT_JSON, .by = BY_REASON, .sort = SORT_REASON };
	struct report_meta m = { .source = "trace" };
	render_report(null, &im.exits, im.klogs, im.nklogs, &o, &m);
	importer_free(&im);
	return 0;
}
