#include "text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The length of the valid UTF-8 character at s (n bytes left), or 0 when
 * the bytes there are no valid character (overlong forms, surrogates and
 * code points past U+10FFFF included). *cp gets its code point. */
static size_t utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t k;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		k = 2, v = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3, v = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4, v = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return k;
}

static bool is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

/* Whether s[0..n) is the beginning of a character that the end cut off. */
static bool trailing_prefix(const unsigned char *s, size_t n)
{
	size_t want = s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
	if (!want || n >= want)
		return false;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return false;
	return true;
}

void text_safe(char *dst, size_t len, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	size_t n = strlen(src), out = 0;

	if (!len)
		return;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = utf8_char(s + i, n - i, &cp);
		if (k && !is_control(cp)) {
			if (out + k >= len)
				break;
			memcpy(dst + out, s + i, k);
			out += k;
			i += k;
			continue;
		}
		/* the start of a character cut off at the end (a name cut to a
		 * length by whoever gave it): left out */
		if (!k && trailing_prefix(s + i, n - i))
			break;
		/* a control character's bytes, or one byte that is no character */
		size_t bytes = k ? k : 1;
		if (out + 4 * bytes >= len)
			break;
		for (size_t b = 0; b < bytes; b++, i++) {
			dst[out++] = '\\';
			dst[out++] = 'x';
			dst[out++] = hex[s[i] >> 4];
			dst[out++] = hex[s[i] & 15];
		}
	}
	dst[out] = '\0';
}

char *text_safe_dup(const char *src)
{
	size_t len = 4 * strlen(src) + 1;
	char *dst = malloc(len);
	if (dst)
		text_safe(dst, len, src);
	return dst;
}

size_t text_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

const char *text_fit(char *dst, size_t len, const char *s, size_t cols, bool cut)
{
	size_t chars = 0, i = 0, out;
	for (; s[i] && (!cut || chars < cols || ((unsigned char)s[i] & 0xc0) == 0x80); i++)
		chars += ((unsigned char)s[i] & 0xc0) != 0x80;
	out = text_cut(s, i, len - 1);
	memcpy(dst, s, out);
	for (; chars < cols && out + 1 < len; chars++)
		dst[out++] = ' ';
	dst[out] = '\0';
	return dst;
}
