/* Names from outside (process names, QEMU's -name, a trace's comm column)
 * made into text that every output can carry: anyone who can start a
 * process chooses them. */
#ifndef KVMEXITSTAT_TEXT_H
#define KVMEXITSTAT_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* src into dst (len bytes, NUL-terminated): valid UTF-8 without control
 * characters. A byte that is not part of a valid UTF-8 character, and a
 * control character (C0, DEL, C1), becomes \xNN; text is cut on a
 * character boundary, never inside a character or an escape. Safe text
 * comes out unchanged. */
void text_safe(char *dst, size_t len, const char *src);

/* text_safe into memory of its own (caller frees); NULL when out of it. */
char *text_safe_dup(const char *src);

/* The length of s[0..n) cut to at most max bytes on a character boundary. */
size_t text_cut(const char *s, size_t n, size_t max);

/* s into dst as a column of cols characters: padded with spaces, and cut on
 * a character boundary to cols characters when cut is set (printf's %-24.24s
 * counts bytes, and would cut inside a character). Returns dst. */
const char *text_fit(char *dst, size_t len, const char *s, size_t cols, bool cut);

#endif
