/* Quoted-printable mail (RFC 2045) as raw mail archives keep it: a line
 * ending in '=' goes on in the next (a soft break), and "=XX" stands for
 * the byte XX. Traces pasted into such mail are read after undoing both. */
#ifndef KVMEXITSTAT_QUOTED_PRINTABLE_H
#define KVMEXITSTAT_QUOTED_PRINTABLE_H

#include <stdbool.h>
#include <stddef.h>

/* Whether a line shows quoted-printable encoding: a soft break in a line
 * of encoder's length, an encoded '=' ("=3D") or a no-break space ("=A0",
 * "=C2=A0"). None of them occurs in a trace or a kernel log line as the
 * kernel prints it ("count=20" does). */
bool qp_shows(const char *line, size_t len);

/* Whether the line ends in a soft break (a trailing CR ignored). */
bool qp_soft_break(const char *line, size_t len);

/* Decode line (without its soft break) into dst, which holds len bytes:
 * "=XX" becomes its byte, a no-break space (A0, or UTF-8's C2 A0) a
 * space; anything else is copied. Returns the decoded length (<= len). */
size_t qp_decode(const char *line, size_t len, char *dst);

#endif
