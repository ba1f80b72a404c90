/* Feeding trace text to an importer, line by line, as the tests do. */
#ifndef KVMEXITSTAT_TEST_FEED_H
#define KVMEXITSTAT_TEST_FEED_H

#include <string.h>

#include "importer.h"

static void feed(struct importer *im, const char *text)
{
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		assert_int_equal(importer_line(im, p, len), 0);
		p += len + (nl ? 1 : 0);
	}
}

#endif
