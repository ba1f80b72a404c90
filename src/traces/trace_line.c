/* Line layouts this parser accepts (the header before the event name is
 * read right to left, so any comm, even with spaces, works):
 *
 *   ftrace:     "  CPU 0/KVM-7289    [002] d....  1404.389366: kvm_exit: vcpu 1 reason ..."
 *   record-tgid: " qemu-8397 (   8390) [002] .... 1404.389366: kvm_exit: ..."
 *   trace-cmd:  " qemu-system-x86-6660  [007]   398.691475: kvm_exit:     reason ..."
 *   perf script: "   qemu 8397 [002]  770.850307:   kvm:kvm_exit: vcpu 0 reason ..."
 *   with flags:  "   <...> 206966 .N.. [017] 12345.678901: kvm:kvm_exit: reason ..."
 *   bare:       " 220.696239: kvm_exit: vcpu 0 reason vintr rip ..."
 *   kernel log: "[   12.345678] CMPE283: exit 10 count=5000"
 * any of them quoted ("> ") or labelled ("A: ") when pasted into mail.
 *
 * kvm_exit details, oldest to newest layout:
 *   "reason X rip 0x.. info A B"
 *   "vcpu N reason X rip 0x.. info A B"
 *   "vcpu N reason X rip 0x.. info1 0x.. info2 0x.. intr_info 0x.. error_code 0x.."
 * X may hold spaces ("GP excp", "INVALID_STATE FAILED_VMENTRY"): it runs
 * up to " rip ". */
#define _GNU_SOURCE
#include "trace_line.h"

#include "detail.h"

#include <string.h>

#include "numparse.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t skip_spaces(const char *s, size_t i, size_t len)
{
	while (i < len && is_space(s[i]))
		i++;
	return i;
}

static size_t rtrim(const char *s, size_t len)
{
	while (len && is_space(s[len - 1]))
		len--;
	return len;
}

static bool starts_with(const char *s, size_t len, const char *word)
{
	size_t n = strlen(word);
	return len >= n && !memcmp(s, word, n);
}

/* Parse a decimal number at s[*i], advancing *i. */
static int take_u32(const char *s, size_t *i, size_t len, uint32_t *out)
{
	size_t start = *i;
	uint64_t v;

	while (*i < len && is_digit(s[*i]))
		(*i)++;
	if (parse_dec_u64(s + start, *i - start, &v) || v > INT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* What people put in front of pasted lines: mail quotes ("> ", ">> ",
 * "> > ") and a short margin label ("A:", "L1:"). Returns where the line
 * proper starts. */
static size_t skip_paste_prefix(const char *s, size_t len)
{
	size_t i = skip_spaces(s, 0, len);
	while (i < len && s[i] == '>')
		i = skip_spaces(s, i + 1, len);
	size_t k = i;
	while (k < len && k - i < 4 && ((s[k] >= 'A' && s[k] <= 'Z') || (s[k] >= 'a' && s[k] <= 'z') || is_digit(s[k])))
		k++;
	if (k > i && k + 1 < len && s[k] == ':' && is_space(s[k + 1]))
		i = skip_spaces(s, k + 1, len);
	return i;
}

/* ftrace's irq-flags column ("d..1.", ".N..", "dNh2."), which perf-style
 * tools print before [cpu]: only flag letters, digits and dots, with a dot
 * or a letter in it (a bare number is a tid). */
static bool is_flags(const char *s, size_t n)
{
	bool flag = false;
	if (n < 3 || n > 6)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!strchr(".dDXNnpLbHhsZz0123456789", s[i]) || !s[i])
			return false;
		flag |= !is_digit(s[i]);
	}
	return flag;
}

/* Read the columns before the event name: comm-pid, (tgid), [cpu], flags,
 * timestamp. Columns that are absent are simply not set. */
static void parse_header(const char *s, size_t len, struct trace_line *t)
{
	len = rtrim(s, len);
	if (len >= 4 && !memcmp(s + len - 4, "kvm:", 4)) /* perf: "kvm:kvm_exit" */
		len = rtrim(s, len - 4);
	if (len && s[len - 1] == ':')
		len--;

	/* timestamp: last token, digits[.digits] */
	size_t end = len, start = len;
	while (start && !is_space(s[start - 1]))
		start--;
	if (end > start && is_digit(s[start]) &&
	    parse_timestamp_ns(s + start, end - start, &t->ts_ns) == 0) {
		t->has_ts = true;
		len = rtrim(s, start);
	}

	/* [cpu]: the last "[digits]" token; flags may sit between it and the time. */
	size_t open = len;
	while (open && s[open - 1] != '[')
		open--;
	if (!open)
		return;
	size_t i = open;
	uint32_t cpu;
	if (take_u32(s, &i, len, &cpu) || i >= len || s[i] != ']')
		return;
	t->cpu = (int32_t)cpu;
	len = rtrim(s, open - 1);
	/* "comm tid flags [cpu]" (perf-style tools): the flags are no part of the thread */
	size_t f = len;
	while (f && !is_space(s[f - 1]))
		f--;
	if (f && is_flags(s + f, len - f))
		len = rtrim(s, f);

	/* (tgid) with ftrace's options/record-tgid; "(-----)" when unknown */
	if (len && s[len - 1] == ')') {
		size_t p = len - 1;
		while (p && s[p - 1] != '(')
			p--;
		if (p) {
			size_t j = skip_spaces(s, p, len - 1);
			uint32_t tgid;
			if (j < len - 1 && take_u32(s, &j, len - 1, &tgid) == 0 && j == len - 1) {
				t->has_tgid = true;
				t->tgid = tgid;
			}
			len = rtrim(s, p - 1);
		}
	}

	/* comm-tid (ftrace, trace-cmd), "comm tid" or "comm pid/tid" (perf) */
	size_t b = skip_paste_prefix(s, len);
	size_t d = len;
	while (d > b && is_digit(s[d - 1]))
		d--;
	if (d == len || d == b)
		goto comm_only;
	uint32_t num;
	size_t k = d;
	if (take_u32(s, &k, len, &num))
		goto comm_only;
	if (s[d - 1] == '-' && d - 1 > b) {
		t->has_tid = true, t->tid = num;
		t->comm = s + b, t->comm_len = d - 1 - b;
		return;
	}
	if (s[d - 1] == '/') {
		size_t p = d - 1;
		while (p > b && is_digit(s[p - 1]))
			p--;
		uint32_t pid;
		size_t q = p;
		if (p < d - 1 && take_u32(s, &q, d - 1, &pid) == 0) {
			t->has_tid = true, t->tid = num;
			t->has_tgid = true, t->tgid = pid;
			t->comm = s + b, t->comm_len = rtrim(s, p) - b;
			if (p == b || !is_space(s[p - 1]))
				t->comm_len = 0;
			return;
		}
	}
	if (is_space(s[d - 1])) {
		t->has_tid = true, t->tid = num;
		t->comm = s + b, t->comm_len = rtrim(s, d) - b;
		return;
	}
comm_only:
	t->comm = s + b;
	t->comm_len = len - b;
}

static size_t token_len(const char *s, size_t i, size_t len)
{
	size_t k = i;
	while (k < len && !is_space(s[k]))
		k++;
	return k - i;
}

#define token_is(w, n, word) ((n) == sizeof(word) - 1 && !memcmp(w, word, sizeof(word) - 1))

/* A field name of the kvm_exit/kvm_entry layouts; after_reason: only those
 * that follow the reason (a reason word is never one of them). Checked on
 * every record's last tokens: by length first. */
static bool field_name(const char *w, size_t n, bool after_reason)
{
	switch (n) {
	case 3:
		return token_is(w, n, "rip") || token_is(w, n, "isa");
	case 4:
		return token_is(w, n, "info") || (!after_reason && token_is(w, n, "vcpu"));
	case 5:
		return token_is(w, n, "info1") || token_is(w, n, "info2");
	case 6:
		return !after_reason && token_is(w, n, "reason");
	case 9:
		return token_is(w, n, "intr_info");
	case 10:
		return token_is(w, n, "error_code");
	}
	return false;
}

/* The token ending at end (spaces before end skipped): its start in *at,
 * its length returned (0: none after from). */
static size_t token_before(const char *s, size_t from, size_t end, size_t *at)
{
	end = rtrim(s, end);
	size_t k = end;
	while (k > from && !is_space(s[k - 1]))
		k--;
	*at = k;
	return end - k;
}

static bool is_hex_token(const char *w, size_t n)
{
	if (n > 2 && w[0] == '0' && w[1] == 'x')
		w += 2, n -= 2;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(w[i]) && !((w[i] | 0x20) >= 'a' && (w[i] | 0x20) <= 'f'))
			return false;
	return n > 0;
}

size_t trace_line_body(const char *s, size_t len)
{
	return skip_paste_prefix(s, len);
}

bool trace_line_open(const char *s, size_t len, const struct trace_line *t)
{
	if (!t->fields)
		return false;
	if (len && s[len - 1] == '\r')
		len--;
	size_t a_at, b_at, c_at;
	size_t a = token_before(s, t->fields, len, &a_at);
	if (!a)
		return true; /* "kvm_exit:" and nothing more */
	if (t->kind == LINE_ENTRY) /* "vcpu N", "vcpu N, rip V": open after a name or a comma */
		return field_name(s + a_at, a, false) || s[a_at + a - 1] == ',';
	if (field_name(s + a_at, a, false) || a_at <= t->fields)
		return true;
	size_t b = token_before(s, t->fields, a_at, &b_at);
	if (token_is(s + b_at, b, "error_code"))
		return false; /* (the common line) */
	if (!b || field_name(s + b_at, b, false) || b_at <= t->fields)
		return true;
	size_t c = token_before(s, t->fields, b_at, &c_at);
	return !token_is(s + c_at, c, "info");
}

bool trace_line_continues(const char *open, size_t open_len, const char *next, size_t next_len)
{
	if (next_len && next[next_len - 1] == '\r')
		next_len--;
	if (open_len && open[open_len - 1] == '\r')
		open_len--;
	size_t f_at = skip_paste_prefix(next, next_len);
	size_t f = token_len(next, f_at, next_len);
	if (!f)
		return false; /* blank */
	size_t a_at, b_at = 0;
	size_t a = token_before(open, 0, open_len, &a_at), b = 0;
	if (a_at)
		b = token_before(open, 0, a_at, &b_at);
	if (field_name(open + a_at, a, false))
		return true; /* the value moved to the next line */
	if (field_name(next + f_at, f, true))
		return true; /* a later field moved */
	if (b && token_is(open + b_at, b, "info") && is_hex_token(next + f_at, f))
		return true; /* "info A" then "B" (the oldest layout) */
	/* a reason of several words cut between them: "... reason INVALID_STATE" then "FAILED_VMENTRY rip ..." */
	size_t g_at = skip_spaces(next, f_at + f, next_len);
	size_t g = token_len(next, g_at, next_len);
	return !memmem(open, open_len, " rip ", 5) && token_is(next + g_at, g, "rip");
}

static void bad(struct trace_line *t, const char *why)
{
	t->kind = LINE_BAD;
	t->why = why;
}

static void parse_exit(const char *s, size_t i, size_t len, struct trace_line *t)
{
	i = skip_spaces(s, i, len);
	if (starts_with(s + i, len - i, "vcpu ")) {
		uint32_t v;
		i = skip_spaces(s, i + 5, len);
		if (take_u32(s, &i, len, &v))
			return bad(t, "vcpu is not a number in range");
		t->vcpu = (int32_t)v;
		i = skip_spaces(s, i, len);
	}
	if (!starts_with(s + i, len - i, "reason "))
		return bad(t, "no 'reason' field");
	i = skip_spaces(s, i + 7, len);
	/* from the space before the reason, so "reason  rip ..." is an empty reason */
	const char *rip = s + i - 1, *end = s + len;
	while ((rip = memchr(rip, ' ', (size_t)(end - rip))) != NULL && !starts_with(rip, (size_t)(end - rip), " rip "))
		rip++;
	t->reason = s + i;
	if (rip) {
		t->reason_len = rip < s + i ? 0 : rtrim(s + i, (size_t)(rip - (s + i)));
		size_t at = skip_spaces(s, (size_t)(rip - s) + 5, len);
		t->has_rip = !parse_hex_u64(s + at, token_len(s, at, len), &t->rip);
	} else {
		/* a line trimmed by its author after the reason ("reason HLT",
		 * "reason EXTERNAL_INTERRUPT intr_info 0x800000ec"): the reason
		 * runs to the next field the kernel prints after it, or to the end */
		size_t k = i, end_word = i;
		while (k < len) {
			size_t w = skip_spaces(s, k, len);
			if (w > i && w < len && field_name(s + w, token_len(s, w, len), true))
				break;
			k = w + token_len(s, w, len);
			end_word = k;
		}
		t->reason_len = end_word - i;
		t->reason_last = end_word == len || skip_spaces(s, end_word, len) == len;
	}
	if (!t->reason_len)
		return bad(t, "empty exit reason");
	t->kind = LINE_EXIT;
}

static void parse_entry(const char *s, size_t i, size_t len, struct trace_line *t)
{
	i = skip_spaces(s, i, len);
	t->kind = LINE_ENTRY;
	if (starts_with(s + i, len - i, "vcpu ")) {
		uint32_t v;
		i = skip_spaces(s, i + 5, len);
		if (take_u32(s, &i, len, &v) == 0)
			t->vcpu = (int32_t)v;
	}
}

/* What kvmexitstat's kernel patch prints after a header's "(total=T)":
 * "pid=P vcpu=V", then "skipped=K" when reports were left out, and "final"
 * on the report a vCPU prints as it ends. Each vCPU reports on its own, so
 * P and V name the series a block belongs to. Other words are ignored.
 * Returns non-zero when the line is bad (already marked). */
static int parse_klog_ids(const char *s, size_t i, size_t len, struct trace_line *t)
{
	bool pid = false, vcpu = false;

	t->klog_vcpu = -1;
	for (i = skip_spaces(s, i, len); i < len; i = skip_spaces(s, i, len)) {
		size_t k = i + token_len(s, i, len);
		const char *w = s + i;
		size_t n = k - i;
		uint64_t v;
		if (starts_with(w, n, "pid=") || starts_with(w, n, "vcpu=") || starts_with(w, n, "skipped=")) {
			size_t eq = (size_t)((const char *)memchr(w, '=', n) - w) + 1;
			if (parse_dec_u64(w + eq, n - eq, &v) || (w[0] != 's' && v > INT32_MAX)) {
				bad(t, "kernel log header with a bad pid=, vcpu= or skipped= number");
				return -1;
			}
			if (w[0] == 'p')
				t->klog_pid = (uint32_t)v, pid = true;
			else if (w[0] == 'v')
				t->klog_vcpu = (int32_t)v, vcpu = true;
			else
				t->klog_skipped = v;
		} else if (n == 5 && starts_with(w, n, "final"))
			t->klog_final = true;
		i = k;
	}
	if (pid != vcpu) {
		bad(t, "kernel log header with only one of pid= and vcpu=");
		return -1;
	}
	t->klog_has_id = pid;
	return 0;
}

/* "[ 12.345678] CMPE283: ..." with or without dmesg's prefix; journalctl
 * or syslog prefixes are ignored as well. */
static void parse_klog(const char *s, size_t at, size_t len, struct trace_line *t)
{
	size_t i = skip_paste_prefix(s, at);
	if (i < at && s[i] == '[') {
		size_t j = skip_spaces(s, i + 1, at), k = j;
		while (k < at && (is_digit(s[k]) || s[k] == '.'))
			k++;
		if (k > j && k < at && s[k] == ']' &&
		    parse_timestamp_ns(s + j, k - j, &t->ts_ns) == 0)
			t->has_ts = true;
	}

	i = skip_spaces(s, at + 8, len); /* after "CMPE283:" */
	const char *p = s + i;
	size_t n = len - i;
	if ((starts_with(p, n, "VMX Exit Stats") || starts_with(p, n, "SVM Exit Stats"))) {
		const char *tot = memmem(p, n, "(total=", 7);
		size_t j = tot ? (size_t)(tot - s) + 7 : len, k = j;
		while (k < len && is_digit(s[k]))
			k++;
		if (!tot || k == len || s[k] != ')')
			return bad(t, "kernel log header without '(total=N)'");
		if (parse_dec_u64(s + j, k - j, &t->klog_total))
			return bad(t, "kernel log total is not a number in range");
		if (parse_klog_ids(s, k + 1, len, t))
			return;
		t->klog_isa = p[0] == 'V' ? ISA_VMX : ISA_SVM;
		t->kind = LINE_KLOG_HEADER;
		return;
	}
	if (!starts_with(p, n, "exit "))
		return; /* another message of the module: not an exit count */
	size_t j = skip_spaces(s, i + 5, len), k = j + token_len(s, j, len);
	t->reason = s + j;
	t->reason_len = k - j;
	k = skip_spaces(s, k, len);
	if (!t->reason_len || !starts_with(s + k, len - k, "count="))
		return bad(t, "kernel log exit line without 'count='");
	k += 6;
	size_t e = rtrim(s, len);
	if (parse_dec_u64(s + k, e - k, &t->klog_count))
		return bad(t, "kernel log count is not a number in range");
	t->kind = LINE_KLOG_EXIT;
}

/* The number after the word `word` in s[i, len) ("at 0x3f8", "address
 * fee000b0", "size 4"), hex or decimal as parse says. */
static bool number_after(const char *s, size_t i, size_t len, const char *word,
			 int (*parse)(const char *, size_t, uint64_t *), uint64_t *v)
{
	size_t w = strlen(word);
	for (; i + w < len; i++) {
		if (memcmp(s + i, word, w) || (i && !is_space(s[i - 1])) || s[i + w] != ' ')
			continue;
		size_t at = skip_spaces(s, i + w, len);
		return parse(s + at, token_len(s, at, len), v) == 0;
	}
	return false;
}

static bool hex_after(const char *s, size_t i, size_t len, const char *word, uint64_t *v)
{
	return number_after(s, i, len, word, parse_hex_u64, v);
}

static bool dec_after(const char *s, size_t i, size_t len, const char *word, uint64_t *v)
{
	return number_after(s, i, len, word, parse_dec_u64, v);
}

bool trace_line_exit_info(const char *s, size_t len, const struct trace_line *t, struct exit_info *out)
{
	uint64_t v;
	memset(out, 0, sizeof(*out));
	if (t->kind != LINE_EXIT)
		return false;
	size_t i = t->fields;
	if (hex_after(s, i, len, "info1", &out->info1)) {
		if (!hex_after(s, i, len, "info2", &out->info2))
			return false;
		if (hex_after(s, i, len, "intr_info", &v) && v <= 0xffffffffu) {
			out->has_intr_info = true;
			out->intr_info = (uint32_t)v;
		}
		return true;
	}
	/* "info A B": VMX's B is the interruption info */
	for (size_t k = i; k + 6 < len; k++) {
		if (memcmp(s + k, " info ", 6))
			continue;
		size_t a = skip_spaces(s, k + 6, len), an = token_len(s, a, len);
		size_t b = skip_spaces(s, a + an, len), bn = token_len(s, b, len);
		if (parse_hex_u64(s + a, an, &out->info1) || parse_hex_u64(s + b, bn, &out->info2))
			return false;
		out->has_intr_info = out->info2 <= 0xffffffffu;
		out->intr_info = (uint32_t)out->info2;
		return true;
	}
	return false;
}

/* The detail events' TP_printk layouts (arch/x86/kvm/trace.h,
 * include/trace/events/kvm.h). A line that does not parse is no detail. */
static void parse_detail(const char *ev, const char *s, size_t i, size_t len, struct trace_line *t)
{
	uint64_t a;
	i = skip_spaces(s, i, len);
	const char *f = s + i;
	size_t n = len - i;

	if (!strcmp(ev, "pio")) {
		/* pio_write at 0x3f8 size 1 count 1 val 0x41 */
		bool wr = starts_with(f, n, "pio_write"), rd = starts_with(f, n, "pio_read");
		uint64_t size, count;
		if ((wr || rd) && hex_after(s, i, len, "at", &a) && a <= 0xffff && dec_after(s, i, len, "size", &size) &&
		    dec_after(s, i, len, "count", &count))
			t->detail = detail_io((uint16_t)a, rd, (unsigned)size, count > 1);
	} else if (!strcmp(ev, "msr")) {
		/* msr_write 830 = 0xb0000440b0, msr_read ce = 0x0 (#GP) */
		bool wr = starts_with(f, n, "msr_write "), rd = starts_with(f, n, "msr_read ");
		size_t at = skip_spaces(s, i + (wr ? 10 : 9), len);
		if ((wr || rd) && !parse_hex_u64(s + at, token_len(s, at, len), &a) && a <= 0xffffffffu)
			t->detail = detail_msr((uint32_t)a, wr);
	} else if (!strcmp(ev, "cr")) {
		/* cr_write 0 = 0x80050033 */
		bool wr = starts_with(f, n, "cr_write "), rd = starts_with(f, n, "cr_read ");
		size_t at = skip_spaces(s, i + (wr ? 9 : 8), len);
		if ((wr || rd) && !parse_hex_u64(s + at, token_len(s, at, len), &a) && a < 256)
			t->detail = detail_cr((unsigned)a, wr);
	} else if (!strcmp(ev, "page_fault")) {
		/* vcpu 0 rip 0x... address 0xfee000b0 error_code 0x6 (older: address fee000b0 error_code 6) */
		if (hex_after(s, i, len, "address", &a))
			t->detail = detail_gpa(a);
	} else if (!strcmp(ev, "mmio")) {
		/* mmio write len 4 gpa 0xfee000b0 val 0x0 */
		if (hex_after(s, i, len, "gpa", &a))
			t->detail = detail_gpa(a);
	} else if (!strcmp(ev, "fast_mmio")) {
		/* fast mmio at gpa 0x... */
		if (hex_after(s, i, len, "gpa", &a))
			t->detail = detail_gpa(a);
	} else if (!strcmp(ev, "hypercall")) {
		/* nr 0x5 a0 0x0 a1 0x1 a2 0x0 a3 0x0 */
		if (hex_after(s, i, len, "nr", &a))
			t->detail = detail_hcall(a);
	} else if (!strcmp(ev, "vcpu_wakeup")) {
		/* wait time 1234 ns, polling valid; poll time 56 ns, polling valid */
		if (starts_with(f, n, "wait time "))
			t->detail = detail_halt(1);
		else if (starts_with(f, n, "poll time "))
			t->detail = detail_halt(0);
	} else if (!strcmp(ev, "userspace_exit")) {
		/* reason KVM_EXIT_IO (2); reason restart (4): a signal, KVM_EXIT_INTR */
		const char *open = memchr(f, '(', n), *close = open ? memchr(open, ')', (size_t)(s + len - open)) : NULL;
		if (starts_with(f, n, "reason KVM_EXIT_") && close && !parse_dec_u64(open + 1, (size_t)(close - open - 1), &a) &&
		    a <= 0xffffffffu)
			t->detail = detail_vmm((uint32_t)a);
		else if (starts_with(f, n, "reason restart "))
			t->detail = detail_vmm(10);
	}
	if (t->detail)
		t->kind = LINE_DETAIL;
}

/* The detail events, by what follows "kvm" in their name. */
static const char *const detail_events[] = { "pio", "msr", "cr", "page_fault", "mmio", "fast_mmio", "hypercall",
					     "userspace_exit", "vcpu_wakeup" };

void trace_line_parse(const char *s, size_t len, struct trace_line *t)
{
	memset(t, 0, sizeof(*t));
	t->cpu = -1;
	t->vcpu = -1;
	if (len && s[len - 1] == '\r')
		len--;

	/* Find "kvm_exit:" or "kvm_entry:" as a whole word. Looking for '_'
	 * with memchr and checking around it is much faster than memmem: the
	 * first '_' of a trace line is usually the event's own. */
	const char *p = s, *end = s + len;
	while ((p = memchr(p, '_', (size_t)(end - p))) != NULL) {
		size_t at = (size_t)(p - s);
		if (at >= 3 && !memcmp(p - 3, "kvm", 3) &&
		    (at == 3 || is_space(s[at - 4]) || s[at - 4] == ':')) {
			if (starts_with(p, (size_t)(end - p), "_exit:")) {
				t->fields = at + 6;
				parse_header(s, at - 3, t);
				parse_exit(s, at + 6, len, t);
				return;
			}
			if (starts_with(p, (size_t)(end - p), "_entry:")) {
				t->fields = at + 7;
				parse_header(s, at - 3, t);
				parse_entry(s, at + 7, len, t);
				return;
			}
			for (size_t d = 0; d < sizeof(detail_events) / sizeof(detail_events[0]); d++) {
				size_t n = strlen(detail_events[d]);
				if ((size_t)(end - p) > n + 1 && !memcmp(p + 1, detail_events[d], n) && p[n + 1] == ':') {
					parse_header(s, at - 3, t);
					parse_detail(detail_events[d], s, at + n + 2, len, t);
					if (t->kind != LINE_DETAIL) /* (the header alone is no event of ours) */
						memset(t, 0, sizeof(*t)), t->cpu = -1, t->vcpu = -1;
					return;
				}
			}
		}
		p++;
	}

	const char *k = memmem(s, len, "CMPE283:", 8);
	if (k)
		parse_klog(s, (size_t)(k - s), len, t);
}
