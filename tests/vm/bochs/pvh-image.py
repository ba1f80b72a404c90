#!/usr/bin/env python3
"""The kernel for pvh-stub: Debian's vmlinuz unpacked (its payload is xz or
gzip) and laid out as one flat image of its physical load range, after a
16-byte header: "PVHI", load address, PVH entry (the kernel's Xen
PHYS32_ENTRY note), size.

Usage: pvh-image.py VMLINUZ OUT"""
import gzip
import lzma
import struct
import sys

src, out = sys.argv[1], sys.argv[2]
z = open(src, "rb").read()
elf = None
for magic, unpack in ((b"\xfd7zXZ\x00", lambda b: lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(b)),
                      (b"\x1f\x8b\x08", lambda b: gzip.GzipFile(fileobj=__import__("io").BytesIO(b)).read())):
    i = z.find(magic)
    while i >= 0 and elf is None:
        try:
            data = unpack(z[i:])
            if data[:4] == b"\x7fELF":
                elf = data
        except Exception:
            pass
        i = z.find(magic, i + 1)
    if elf:
        break
if elf is None:
    sys.exit(f"pvh-image.py: {src}: no xz or gzip payload that is an ELF kernel")
phoff, = struct.unpack_from("<Q", elf, 0x20)
phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
loads, entry = [], None
for k in range(phnum):
    p_type, _, off, _, paddr, filesz, memsz, _ = struct.unpack_from("<IIQQQQQQ", elf, phoff + k * phentsize)
    if p_type == 1:
        loads.append((paddr, off, filesz, memsz))
    elif p_type == 4:  # notes: name size, desc size, type, name, desc (4-byte aligned)
        pos, end = off, off + filesz
        while pos + 12 <= end:
            nsz, dsz, typ = struct.unpack_from("<III", elf, pos)
            name = elf[pos + 12:pos + 12 + nsz].rstrip(b"\0")
            desc = pos + 12 + (nsz + 3) // 4 * 4
            if name == b"Xen" and typ == 18:  # XEN_ELFNOTE_PHYS32_ENTRY
                entry = struct.unpack_from("<I", elf, desc)[0]
            pos = desc + (dsz + 3) // 4 * 4
if entry is None:
    sys.exit(f"pvh-image.py: {src}: the kernel has no PVH entry (CONFIG_PVH)")
base = min(p for p, _, _, _ in loads)
top = max(p + m for p, _, _, m in loads)
img = bytearray(top - base)
for paddr, off, filesz, _ in loads:
    img[paddr - base:paddr - base + filesz] = elf[off:off + filesz]
with open(out, "wb") as f:
    f.write(struct.pack("<4sIII", b"PVHI", base, entry, len(img)))
    f.write(img)
print(f"pvh-image.py: {out}: {len(img)} bytes at {base:#x}, PVH entry {entry:#x}")
