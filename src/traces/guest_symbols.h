/* Guest symbol files (--guest-symbols): a guest kernel's System.map, a
 * copy of its /proc/kallsyms, or its vmlinux (ELF), each read into a
 * sorted table that names a guest RIP "function+0xoff". */
#ifndef KVMEXITSTAT_GUEST_SYMBOLS_H
#define KVMEXITSTAT_GUEST_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest_sym {
	uint64_t addr;
	uint64_t size; /* ELF's; 0: up to the next symbol */
	char *name;
};

struct guest_symtab {
	struct guest_sym *v; /* by address */
	size_t n;
};

/* Read a symbol file. 0, or -errno and a one-line message (with the file
 * and, for a text file, the line) in msg. */
int guest_symtab_load(struct guest_symtab *t, const char *path, char *msg, size_t len);
void guest_symtab_free(struct guest_symtab *t);
/* "name+0x1c" (or "name" at its start) of the symbol that holds rip, into
 * buf; NULL when none does. */
const char *guest_symtab_name(const struct guest_symtab *t, uint64_t rip, char *buf, size_t len);

#define GUEST_SYMBOLS_MAX 16

/* The --guest-symbols files: FILE for every VM, or VM=FILE for one (VM: a
 * pid or a VM's name). */
struct guest_symbols {
	struct {
		char vm[64]; /* "": every VM */
		struct guest_symtab tab;
	} files[GUEST_SYMBOLS_MAX];
	size_t n;
};

/* Add one --guest-symbols argument (the file is read now). 0, or -errno
 * and a one-line message. */
int guest_symbols_add(struct guest_symbols *g, const char *arg, char *msg, size_t len);
/* The table for a VM (its pid, its name or NULL): its own, else the one
 * for every VM; for the rows summed over VMs (pid PID_ALL) only the one for
 * every VM. NULL: none. */
const struct guest_symtab *guest_symbols_for(const struct guest_symbols *g, uint32_t pid, const char *name);
void guest_symbols_free(struct guest_symbols *g);
/* A render_opts.rip_name over a struct guest_symbols (ctx). */
struct exit_key;
const char *guest_symbols_rip_name(void *ctx, const struct exit_key *k, const char *vm, char *buf, size_t len);

#endif
