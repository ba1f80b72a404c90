#define _GNU_SOURCE
#include "guest_symbols.h"

#include "snapshot.h"
#include "text.h"

#include <ctype.h>
#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A symbol without a size ends where the next begins; the last one, this
 * far at most (a System.map's last lines are markers, not code). */
#define LAST_SYMBOL_REACH 0x1000

static int add_sym(struct guest_symtab *t, size_t *cap, uint64_t addr, uint64_t size, const char *name)
{
	if (t->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 1024;
		struct guest_sym *v = realloc(t->v, ncap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->v = v;
		*cap = ncap;
	}
	char *copy = text_safe_dup(name); /* names are data: see text.h */
	if (!copy)
		return -ENOMEM;
	t->v[t->n++] = (struct guest_sym){ .addr = addr, .size = size, .name = copy };
	return 0;
}

/* vmlinux: its symbol table's functions and objects. */
static int load_elf(struct guest_symtab *t, size_t *cap, int fd, const char *path, char *msg, size_t len)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	Elf_Scn *scn = NULL;
	int err = 0;
	bool symtab = false;

	if (!e) {
		snprintf(msg, len, "%s: not an ELF file libelf can read: %s", path, elf_errmsg(-1));
		return -EINVAL;
	}
	while (!err && (scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		symtab = true;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t n = d ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; !err && i < n; i++) {
			GElf_Sym s;
			if (!gelf_getsym(d, (int)i, &s) || !s.st_value || s.st_shndx == SHN_UNDEF || s.st_shndx == SHN_ABS)
				continue;
			int type = GELF_ST_TYPE(s.st_info);
			if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE)
				continue;
			const char *name = elf_strptr(e, sh.sh_link, s.st_name);
			if (name && *name)
				err = add_sym(t, cap, s.st_value, s.st_size, name);
		}
	}
	elf_end(e);
	if (!err && !symtab) {
		snprintf(msg, len, "%s: an ELF file without a symbol table (a stripped vmlinux?)", path);
		return -EINVAL;
	}
	return err;
}

/* System.map or kallsyms: "ADDR TYPE NAME", kallsyms with " [module]". */
static int load_text(struct guest_symtab *t, size_t *cap, FILE *f, const char *path, char *msg, size_t len)
{
	char *line = NULL;
	size_t lcap = 0, lineno = 0;
	ssize_t n;
	int err = 0;

	while (!err && (n = getline(&line, &lcap, f)) > 0) {
		lineno++;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!n)
			continue;
		char *end;
		errno = 0;
		uint64_t addr = strtoull(line, &end, 16);
		char type = end[0] == ' ' ? end[1] : 0;
		const char *name = type && end[2] == ' ' ? end + 3 : NULL;
		if (end == line || errno || !isxdigit((unsigned char)line[0]) || !name || !*name || !isalpha((unsigned char)type)) {
			snprintf(msg, len, "%s:%zu: not a symbol line (ADDRESS TYPE NAME, as System.map has them)", path,
				 lineno);
			err = -EINVAL;
			break;
		}
		/* (absolute and undefined symbols are not code) */
		if (type == 'a' || type == 'A' || type == 'U' || type == 'u')
			continue;
		err = add_sym(t, cap, addr, 0, name);
	}
	free(line);
	if (!err && ferror(f)) {
		err = -EIO;
		snprintf(msg, len, "%s: read error", path);
	}
	return err;
}

static int by_addr(const void *pa, const void *pb)
{
	const struct guest_sym *a = pa, *b = pb;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return strcmp(a->name, b->name);
}

int guest_symtab_load(struct guest_symtab *t, const char *path, char *msg, size_t len)
{
	size_t cap = 0;
	unsigned char magic[4] = { 0 };
	int err;

	memset(t, 0, sizeof(*t));
	FILE *f = fopen(path, "rb");
	if (!f) {
		err = -errno;
		snprintf(msg, len, "cannot read %s: %s", path, strerror(-err));
		return err;
	}
	bool elf = fread(magic, 1, 4, f) == 4 && !memcmp(magic, "\177ELF", 4);
	rewind(f);
	err = elf ? load_elf(t, &cap, fileno(f), path, msg, len) : load_text(t, &cap, f, path, msg, len);
	fclose(f);
	if (err == -ENOMEM)
		snprintf(msg, len, "%s: out of memory", path);
	bool any_address = false;
	for (size_t i = 0; i < t->n && !any_address; i++)
		any_address = t->v[i].addr != 0;
	if (!err && !t->n) {
		snprintf(msg, len, "%s: no symbols in it (give the guest's System.map, /proc/kallsyms or vmlinux)", path);
		err = -EINVAL;
	} else if (!err && !any_address) {
		snprintf(msg, len, "%s: every address in it is 0 (a /proc/kallsyms read without root in the guest)", path);
		err = -EINVAL;
	}
	if (err) {
		guest_symtab_free(t);
		return err;
	}
	qsort(t->v, t->n, sizeof(*t->v), by_addr);
	return 0;
}

void guest_symtab_free(struct guest_symtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

const char *guest_symtab_name(const struct guest_symtab *t, uint64_t rip, char *buf, size_t len)
{
	size_t lo = 0, hi = t ? t->n : 0;

	/* the last symbol at or below rip */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->v[mid].addr <= rip)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	const struct guest_sym *s = &t->v[lo - 1];
	uint64_t off = rip - s->addr;
	/* its reach: its size, else up to the next symbol past it */
	size_t next = lo;
	while (next < t->n && t->v[next].addr == s->addr)
		next++;
	if (s->size ? off >= s->size : next < t->n ? rip >= t->v[next].addr : off >= LAST_SYMBOL_REACH)
		return NULL;
	if (off)
		snprintf(buf, len, "%s+0x%" PRIx64, s->name, off);
	else
		snprintf(buf, len, "%s", s->name);
	return buf;
}

int guest_symbols_add(struct guest_symbols *g, const char *arg, char *msg, size_t len)
{
	/* VM=FILE when what is before the '=' is no path */
	const char *eq = strchr(arg, '=');
	const char *path = arg;
	char vm[64] = "";
	if (eq && eq > arg && !memchr(arg, '/', (size_t)(eq - arg))) {
		if ((size_t)(eq - arg) >= sizeof(vm)) {
			snprintf(msg, len, "--guest-symbols: a VM of at most %zu characters before '='", sizeof(vm) - 1);
			return -EINVAL;
		}
		snprintf(vm, sizeof(vm), "%.*s", (int)(eq - arg), arg);
		path = eq + 1;
	}
	if (!*path) {
		snprintf(msg, len, "--guest-symbols: expected FILE or VM=FILE, got '%s'", arg);
		return -EINVAL;
	}
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->files[i].vm, vm)) {
			snprintf(msg, len, "--guest-symbols: a second file for %s%s", *vm ? "VM " : "every VM", vm);
			return -EINVAL;
		}
	if (g->n == GUEST_SYMBOLS_MAX) {
		snprintf(msg, len, "--guest-symbols: at most %d files", GUEST_SYMBOLS_MAX);
		return -EINVAL;
	}
	char why[256];
	int err = guest_symtab_load(&g->files[g->n].tab, path, why, sizeof(why));
	if (err) {
		snprintf(msg, len, "--guest-symbols: %s", why);
		return err;
	}
	snprintf(g->files[g->n].vm, sizeof(g->files[g->n].vm), "%s", vm);
	g->n++;
	return 0;
}

const struct guest_symtab *guest_symbols_for(const struct guest_symbols *g, uint32_t pid, const char *name)
{
	const struct guest_symtab *every = NULL;
	char pidbuf[16];

	if (!g)
		return NULL;
	snprintf(pidbuf, sizeof(pidbuf), "%" PRIu32, pid);
	for (size_t i = 0; i < g->n; i++) {
		const char *vm = g->files[i].vm;
		if (!*vm)
			every = &g->files[i].tab;
		else if (pid != PID_ALL && (!strcmp(vm, pidbuf) || (name && !strcmp(vm, name))))
			return &g->files[i].tab;
	}
	return every;
}

const char *guest_symbols_rip_name(void *ctx, const struct exit_key *k, const char *vm, char *buf, size_t len)
{
	return guest_symtab_name(guest_symbols_for(ctx, k->pid, vm), k->rip, buf, len);
}

void guest_symbols_free(struct guest_symbols *g)
{
	for (size_t i = 0; i < g->n; i++)
		guest_symtab_free(&g->files[i].tab);
	g->n = 0;
}
