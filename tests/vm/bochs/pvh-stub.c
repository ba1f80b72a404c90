/* A multiboot kernel that boots Linux through its PVH entry, for the VMX
 * testbed: Bochs has no -kernel option, and under Bochs a bzImage's own
 * decompressor takes about 90 s, while the uncompressed kernel booted at
 * its PVH entry point reaches init in seconds.
 *
 * GRUB loads this stub with two modules: the kernel as a flat image of its
 * physical load range (pvh-image.py makes it from vmlinux; its first 16
 * bytes say where it goes and where its PVH entry is) and the initramfs.
 * The stub moves them into place, builds the hvm_start_info the PVH boot
 * protocol asks for (memory map from GRUB's, the initramfs as module 0,
 * the command line, the ACPI RSDP), and returns the entry to pvh-stub.S. */
#include <stdint.h>

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
};
struct mb_module {
	uint32_t start, end, string, reserved;
};
struct mb_mmap {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

/* xen/include/public/arch-x86/hvm/start_info.h */
struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};
struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};
struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

/* the flat kernel image's header (pvh-image.py) */
struct image_header {
	uint32_t magic; /* "PVHI" */
	uint32_t load;  /* physical address of the image's first byte after this header */
	uint32_t entry; /* the PVH entry (XEN_ELFNOTE_PHYS32_ENTRY) */
	uint32_t size;  /* bytes after this header */
};

#define MAX_MAP 64
static struct hvm_start_info start_info;
static struct hvm_modlist_entry module;
static struct hvm_memmap_entry memmap[MAX_MAP];
static char cmdline[1024];

static volatile uint16_t *const vga = (uint16_t *)0xb8000;

static uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

/* on the screen and the second serial port (the kernel's log), which the
 * BIOS left unset: 8 bits, 115200 baud */
static void say(const char *s)
{
	static int col, ready;
	if (!ready) {
		outb(0x2fb, 0x80); /* divisor latch */
		outb(0x2f8, 1);
		outb(0x2f9, 0);
		outb(0x2fb, 0x03); /* 8N1 */
		ready = 1;
	}
	for (; *s; s++) {
		for (int i = 0; i < 100000 && !(inb(0x2fd) & 0x20); i++) /* transmitter empty */
			;
		outb(0x2f8, (uint8_t)*s);
		vga[col++ % 2000] = (uint16_t)(0x0700 | (uint8_t)*s);
	}
}

static void *move(void *dst, const void *src, uint32_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	if (d < s)
		while (n--)
			*d++ = *s++;
	else
		for (d += n, s += n; n--;)
			*--d = *--s;
	return dst;
}

static void halt(const char *why)
{
	say("pvh-stub: ");
	say(why);
	say("\r\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* The ACPI RSDP: in the EBDA's first KiB, or in 0xe0000-0xfffff. */
static uint32_t find_rsdp(void)
{
	uint32_t ebda = (uint32_t)*(volatile uint16_t *)0x40e << 4;
	uint32_t ranges[2][2] = { { ebda, ebda + 1024 }, { 0xe0000, 0x100000 } };
	for (int r = 0; r < 2; r++)
		for (uint32_t a = ranges[r][0] & ~15u; a && a < ranges[r][1]; a += 16) {
			const char *p = (const char *)a;
			if (p[0] == 'R' && p[1] == 'S' && p[2] == 'D' && p[3] == ' ' && p[4] == 'P' && p[5] == 'T' &&
			    p[6] == 'R' && p[7] == ' ')
				return a;
		}
	return 0;
}

uint64_t stub_main(uint32_t magic, struct mb_info *mbi)
{
	if (magic != 0x2BADB002)
		halt("not started by a multiboot loader");
	if (!(mbi->flags & (1 << 3)) || mbi->mods_count < 2)
		halt("needs two modules: the kernel image and the initramfs");
	if (!(mbi->flags & (1 << 6)))
		halt("the loader gave no memory map");
	struct mb_module *mods = (struct mb_module *)mbi->mods_addr;
	struct image_header h = *(struct image_header *)mods[0].start;
	if (h.magic != 0x49485650 || h.size > mods[0].end - mods[0].start - sizeof(h))
		halt("module 0 is not a kernel image made by pvh-image.py");

	/* the command line: the kernel module's string (GRUB passes the
	 * module's arguments, without its file name) */
	const char *s = (const char *)mods[0].string;
	uint32_t n = 0;
	while (s[n] && n < sizeof(cmdline) - 1) {
		cmdline[n] = s[n];
		n++;
	}
	cmdline[n] = 0;

	/* the initramfs first moves above everything (the kernel's range and
	 * both modules), then the kernel moves into its range */
	uint32_t top = h.load + h.size;
	for (uint32_t i = 0; i < 2; i++)
		if (mods[i].end > top)
			top = mods[i].end;
	uint32_t initrd = (top + 0x1fffff) & ~0x1fffffu, initrd_size = mods[1].end - mods[1].start;
	move((void *)initrd, (void *)mods[1].start, initrd_size);
	move((void *)h.load, (void *)(mods[0].start + sizeof(h)), h.size);

	uint32_t nmap = 0;
	for (uint32_t off = 0; off < mbi->mmap_length && nmap < MAX_MAP;) {
		struct mb_mmap *m = (struct mb_mmap *)(mbi->mmap_addr + off);
		memmap[nmap].addr = m->addr;
		memmap[nmap].size = m->len;
		memmap[nmap].type = m->type;
		nmap++;
		off += m->size + 4;
	}
	module.paddr = initrd;
	module.size = initrd_size;
	start_info.magic = 0x336ec578;
	start_info.version = 1;
	start_info.nr_modules = 1;
	start_info.modlist_paddr = (uint32_t)&module;
	start_info.cmdline_paddr = (uint32_t)cmdline;
	start_info.rsdp_paddr = find_rsdp();
	start_info.memmap_paddr = (uint32_t)memmap;
	start_info.memmap_entries = nmap;
	say("pvh-stub: starting the kernel\r\n");
	return (uint64_t)(uint32_t)&start_info << 32 | h.entry;
}
