#!/usr/bin/env python3
"""Extract the uncompressed vmlinux (ELF) from an x86 bzImage.

    extract-vmlinux.py BZIMAGE OUT

The same idea as the kernel's scripts/extract-vmlinux: look for the magic of each compression
format inside the image, try to decompress from there, and keep the first result that is an ELF
file. The Linux/x86 boot protocol (Documentation/x86/boot.rst) says exactly where the payload is
since protocol 2.08 (payload_offset at 0x248, payload_length at 0x24c, relative to the start of
the protected-mode code at (setup_sects + 1) * 512): that candidate is tried first, and the
magic scan covers older or odd images.
"""
import bz2
import lzma
import shutil
import struct
import subprocess
import sys
import zlib

# (name, magic) as listed in scripts/extract-vmlinux.
MAGICS = [
    ("gzip", b"\x1f\x8b\x08"),
    ("xz", b"\xfd7zXZ\x00"),
    ("bzip2", b"BZh"),
    ("lzma", b"\x5d\x00\x00\x00"),
    ("lzo", b"\x89LZO"),
    ("lz4", b"\x02\x21\x4c\x18"),
    ("zstd", b"\x28\xb5\x2f\xfd"),
]


def detect(data):
    for name, magic in MAGICS:
        if data.startswith(magic):
            return name
    return None


def run_tool(argv, data):
    if shutil.which(argv[0]) is None:
        return None
    p = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    # Trailing bytes after the stream make some tools complain; the output is still usable.
    return p.stdout or None


def decompress(name, data):
    """Decompress one stream starting at data[0]; trailing bytes are ignored. None on failure."""
    try:
        if name == "gzip":
            return zlib.decompressobj(wbits=31).decompress(data)
        if name == "xz":
            return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)
        if name == "lzma":
            return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(data)
        if name == "bzip2":
            return bz2.BZ2Decompressor().decompress(data)
    except (OSError, EOFError, lzma.LZMAError, zlib.error, ValueError):
        return None
    if name == "zstd":
        return run_tool(["zstd", "-dcq"], data)
    if name == "lz4":
        return run_tool(["lz4", "-dcq"], data)
    if name == "lzo":
        return run_tool(["lzop", "-dcq"], data)
    return None


def is_elf(buf):
    return buf is not None and len(buf) > 64 and buf[:4] == b"\x7fELF"


def candidates(img):
    """Offsets worth trying: the boot protocol's payload first, then every magic in the file."""
    seen = set()
    if len(img) > 0x250 and img[0x202:0x206] == b"HdrS":
        version = struct.unpack_from("<H", img, 0x206)[0]
        setup_sects = img[0x1F1] or 4
        if version >= 0x208:
            off, length = struct.unpack_from("<II", img, 0x248)
            start = (setup_sects + 1) * 512 + off
            if 0 < length and start + length <= len(img):
                seen.add(start)
                yield start, start + length
    for _, magic in MAGICS:
        pos = img.find(magic)
        while pos >= 0:
            if pos not in seen:
                seen.add(pos)
                yield pos, len(img)
            pos = img.find(magic, pos + 1)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: extract-vmlinux.py BZIMAGE OUT")
    with open(sys.argv[1], "rb") as f:
        img = f.read()
    if is_elf(img):
        out = img
    else:
        out = None
        for start, end in candidates(img):
            name = detect(img[start:])
            if name is None:
                continue
            out = decompress(name, img[start:end])
            if is_elf(out):
                print("extract-vmlinux: %s payload at offset %#x" % (name, start), file=sys.stderr)
                break
            out = None
    if out is None:
        sys.exit("extract-vmlinux: no compressed ELF kernel found in " + sys.argv[1])
    with open(sys.argv[2], "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
