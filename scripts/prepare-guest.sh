#!/bin/bash
# Prepare the default system-emulation guest in .cache/guest/ (gitignored) and print its paths:
#   KERNEL=.../vmlinuz     the Debian kernel as shipped (bzImage, Linux/x86 boot protocol)
#   VMLINUX=.../vmlinux    the same kernel uncompressed (ELF with the XEN_ELFNOTE_PHYS32_ENTRY
#                          note: PVH boot)
#   INITRD=.../initrd.gz   busybox-static + the kernel's virtio modules, /init below
#   KVER=6.1.0-NN-amd64
#
#   scripts/prepare-guest.sh [--quiet]     (--quiet: print nothing but errors)
#
# Nothing is installed on the host: the kernel package is fetched with "apt-get download" and
# unpacked with "dpkg -x". Every step is cached and skipped when its result exists; delete
# .cache/guest/ to start over. Env: LEMU_GUEST_DIR overrides the cache directory.
#
# The guest's /init (see write_init below):
#   - mounts proc, sys, devtmpfs on /dev; loads the virtio modules in dependency order;
#   - prints the marker line "LEMU-GUEST-READY" on the console;
#   - if the kernel command line has lemu.cmd=<base64 of a shell script>, runs that script with
#     its output on the console, prints "LEMU-CMD-EXIT=<status>", then powers off (poweroff -f);
#   - otherwise starts an interactive shell on the console with job control
#     (setsid cttyhack sh); "poweroff -f" in it ends the emulator.
set -u
set -o pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${LEMU_GUEST_DIR:-$root/.cache/guest}
quiet=0
[ "${1:-}" = --quiet ] && quiet=1

die() {
	echo "prepare-guest.sh: $*" >&2
	exit 1
}
log() {
	[ $quiet = 1 ] || echo "prepare-guest.sh: $*" >&2
}

for tool in apt-get dpkg-deb cpio gzip python3 readelf; do
	command -v "$tool" >/dev/null || die "missing '$tool' (run: bash scripts/deps.sh run)"
done
busybox=/bin/busybox
# A static busybox has no program interpreter (PT_INTERP).
[ -x "$busybox" ] && ! readelf -lW "$busybox" 2>/dev/null | grep -q 'INTERP' ||
	die "$busybox is not the static busybox (run: bash scripts/deps.sh run, package busybox-static)"

mkdir -p "$cache/dl" || die "cannot create $cache"

# ---------------------------------------------------------------- 1. the kernel package

# linux-image-amd64 is a metapackage whose one dependency, linux-image-<abi>-amd64 (= version),
# is the real kernel. Resolve it from the metapackage we download, then fetch exactly that.
fetch_kernel() {
	local meta dep name ver deb
	cd "$cache/dl" || return 1
	rm -f linux-image-amd64_*.deb
	# apt-get download as root warns that it is unsandboxed; that is fine.
	apt-get download -q linux-image-amd64 >/dev/null 2>"$cache/dl/apt.log" ||
		{ cat "$cache/dl/apt.log" >&2; return 1; }
	meta=$(ls linux-image-amd64_*.deb | head -n1)
	dep=$(dpkg-deb -f "$meta" Depends) || return 1
	# "linux-image-6.1.0-56-amd64 (= 6.1.192-2)"
	name=$(sed -n 's/^\(linux-image-[^ ,]*\).*/\1/p' <<<"$dep")
	ver=$(sed -n 's/^[^(]*(= *\([^)]*\)).*/\1/p' <<<"$dep")
	[ -n "$name" ] || { echo "cannot parse Depends: '$dep' of $meta" >&2; return 1; }
	deb=$(ls "${name}_"*.deb 2>/dev/null | head -n1)
	if [ -z "$deb" ]; then
		log "downloading $name${ver:+ $ver}"
		apt-get download -q "$name${ver:+=$ver}" >/dev/null 2>"$cache/dl/apt.log" ||
			{ cat "$cache/dl/apt.log" >&2; return 1; }
		deb=$(ls "${name}_"*.deb | head -n1)
	fi
	echo "$cache/dl/$deb"
}

kver=""
if [ -f "$cache/kver" ] && [ -d "$cache/pkg/lib/modules/$(cat "$cache/kver")" ]; then
	kver=$(cat "$cache/kver")
else
	deb=$(fetch_kernel) || die "could not download the kernel package (apt-get download linux-image-amd64)"
	log "unpacking $(basename "$deb")"
	rm -rf "$cache/pkg.tmp"
	dpkg-deb -x "$deb" "$cache/pkg.tmp" || die "dpkg -x $deb failed"
	kver=$(ls "$cache/pkg.tmp/lib/modules" | head -n1)
	[ -n "$kver" ] && [ -f "$cache/pkg.tmp/boot/vmlinuz-$kver" ] || die "no boot/vmlinuz-* in $deb"
	rm -rf "$cache/pkg"
	mv "$cache/pkg.tmp" "$cache/pkg"
	echo "$kver" >"$cache/kver"
	rm -f "$cache/vmlinuz" "$cache/vmlinux" "$cache/initrd.gz"
fi
pkg=$cache/pkg
moddir=$pkg/lib/modules/$kver

# ---------------------------------------------------------------- 2. bzImage and vmlinux

[ -f "$cache/vmlinuz" ] || cp "$pkg/boot/vmlinuz-$kver" "$cache/vmlinuz" || die "copy vmlinuz"

if [ ! -f "$cache/vmlinux" ]; then
	log "extracting vmlinux from the bzImage"
	python3 "$root/scripts/extract-vmlinux.py" "$cache/vmlinuz" "$cache/vmlinux.tmp" ||
		die "could not extract vmlinux from $cache/vmlinuz"
	# PVH entry: an ELF note of owner "Xen", type 18 (XEN_ELFNOTE_PHYS32_ENTRY).
	if ! readelf -n "$cache/vmlinux.tmp" 2>/dev/null | grep -Eq '^ *Xen .*(PHYS32_ENTRY|\(0x00000012\))'; then
		rm -f "$cache/vmlinux.tmp"
		die "the extracted vmlinux has no XEN_ELFNOTE_PHYS32_ENTRY note (no PVH entry)"
	fi
	mv "$cache/vmlinux.tmp" "$cache/vmlinux"
fi

# ---------------------------------------------------------------- 3. the initramfs

# The virtio drivers we want; their dependencies come from modules.dep.
want_mods="virtio_pci virtio_blk virtio_net virtio_console virtio_rng virtio_balloon"

# mod_order: print the module files (relative to $moddir) in load order: every module after
# everything it depends on. The package ships no modules.dep (depmod makes it at install time),
# so the dependencies come from each module's own .modinfo "depends=" entry (what depmod reads);
# an existing modules.dep is used when there is one.
mod_order() {
	python3 - "$moddir" $want_mods <<'EOF'
import lzma, os, sys, zlib
moddir, wanted = sys.argv[1], sys.argv[2:]

def modname(path):
    return os.path.basename(path).split('.ko')[0].replace('-', '_')

byname, deps = {}, {}
depfile = os.path.join(moddir, 'modules.dep')
if os.path.exists(depfile):
    for line in open(depfile):
        if ':' in line:
            mod, rest = line.split(':', 1)
            byname[modname(mod)] = mod
            deps[mod] = rest.split()
else:
    for top, _, files in os.walk(os.path.join(moddir, 'kernel')):
        for f in files:
            if '.ko' in f:
                rel = os.path.relpath(os.path.join(top, f), moddir)
                byname[modname(rel)] = rel

def read_deps(mod):
    if mod in deps:
        return deps[mod]
    data = open(os.path.join(moddir, mod), 'rb').read()
    if mod.endswith('.xz'):
        data = lzma.decompress(data)
    elif mod.endswith('.gz'):
        data = zlib.decompress(data, 31)
    names = []
    # .modinfo holds NUL-separated "key=value" strings; "depends=a,b" lists the modules
    # whose symbols this one uses.
    for chunk in data.split(b'\0'):
        if chunk.startswith(b'depends='):
            names = [n for n in chunk[8:].decode().split(',') if n]
            break
    deps[mod] = [byname[n.replace('-', '_')] for n in names]
    return deps[mod]

order, seen = [], set()
def visit(mod, stack=()):
    if mod in seen:
        return
    if mod in stack:
        sys.exit('dependency loop at ' + mod)
    for d in read_deps(mod):
        visit(d, stack + (mod,))
    seen.add(mod)
    order.append(mod)

for w in wanted:
    if w not in byname:
        # built into the kernel: nothing to load
        continue
    visit(byname[w])
print('\n'.join(order))
EOF
}

write_init() {
	cat >"$1" <<'EOF'
#!/bin/sh
# /init of the lemu default guest (written by scripts/prepare-guest.sh).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /tmp /run
mount -t devpts devpts /dev/pts
for m in $(cat /etc/modules.order); do
	insmod "/lib/modules/$m" || echo "init: insmod $m failed"
done
hostname lemu-guest
# Kernel messages stop going to the console from here on (dmesg still has them all), so they
# cannot interleave with what the shell and the tests print.
dmesg -n 1
echo LEMU-GUEST-READY
# lemu.cmd=<base64 script>: run it non-interactively, report its status, power off.
for arg in $(cat /proc/cmdline); do
	case $arg in
	lemu.cmd=*)
		echo "${arg#lemu.cmd=}" | base64 -d >/tmp/cmd.sh
		sh /tmp/cmd.sh </dev/console >/dev/console 2>&1
		echo "LEMU-CMD-EXIT=$?"
		poweroff -f
		;;
	esac
done
# An interactive shell on the console, with a controlling tty (job control, Ctrl-C).
while true; do
	setsid cttyhack sh -l
	echo "init: shell exited; restarting it (use poweroff -f to stop)"
done
EOF
	chmod 755 "$1"
}

# Debian's busybox-static has no lspci applet: a small one in busybox's output format
# ("00:00.0 Class 0600: 8086:1237"), read from sysfs.
write_lspci() {
	cat >"$1" <<'EOF'
#!/bin/sh
for d in /sys/bus/pci/devices/*; do
	[ -e "$d/vendor" ] || continue
	class=$(cat "$d/class")
	vendor=$(cat "$d/vendor")
	device=$(cat "$d/device")
	slot=${d##*/}
	echo "${slot#0000:} Class ${class:2:4}: ${vendor#0x}:${device#0x}"
done
EOF
	chmod 755 "$1"
}

build_initrd() {
	local tree=$cache/initrd.tree order m src dst
	rm -rf "$tree"
	mkdir -p "$tree"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,etc,tmp,root,lib/modules} || return 1
	cp "$busybox" "$tree/bin/busybox" || return 1
	# One link per applet (busybox --list-full gives paths like usr/bin/awk).
	"$busybox" --list-full | while read -r a; do
		[ -e "$tree/$a" ] || ln -s /bin/busybox "$tree/$a"
	done
	order=$(mod_order) || return 1
	: >"$tree/etc/modules.order"
	for m in $order; do
		src=$moddir/$m
		dst=$(basename "$m")
		case $dst in
		*.ko.xz) xz -dc "$src" >"$tree/lib/modules/${dst%.xz}" || return 1; dst=${dst%.xz} ;;
		*.ko.zst) zstd -qdc "$src" >"$tree/lib/modules/${dst%.zst}" || return 1; dst=${dst%.zst} ;;
		*.ko.gz) gzip -dc "$src" >"$tree/lib/modules/${dst%.gz}" || return 1; dst=${dst%.gz} ;;
		*) cp "$src" "$tree/lib/modules/$dst" || return 1 ;;
		esac
		echo "$dst" >>"$tree/etc/modules.order"
	done
	write_init "$tree/init"
	write_lspci "$tree/bin/lspci"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$tree/etc/passwd"
	printf 'root:x:0:\n' >"$tree/etc/group"
	printf 'export PS1="guest# "\n' >"$tree/etc/profile"
	# Fixed timestamps and order: the same inputs give the same archive.
	find "$tree" -exec touch -h -d @0 {} + || return 1
	(cd "$tree" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet --reproducible) | gzip -9n >"$cache/initrd.gz.tmp" || return 1
	mv "$cache/initrd.gz.tmp" "$cache/initrd.gz"
}

# Rebuild when this script (it holds /init) is newer than the archive.
if [ ! -f "$cache/initrd.gz" ] || [ "$0" -nt "$cache/initrd.gz" ]; then
	log "building the initramfs"
	build_initrd || die "could not build the initramfs"
fi

[ $quiet = 1 ] || printf 'KERNEL=%s\nVMLINUX=%s\nINITRD=%s\nKVER=%s\n' \
	"$cache/vmlinuz" "$cache/vmlinux" "$cache/initrd.gz" "$kver"
exit 0
