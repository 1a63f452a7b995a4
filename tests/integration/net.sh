#!/bin/bash
# Acceptance of the networking of issue 5: the Debian kernel of scripts/prepare-guest.sh with its
# own virtio_net driver on lemu's virtio-net-pci, behind the netdev backends. Checked from outside
# with tools nobody here wrote: busybox udhcpc/wget/httpd/nc/ping in the guest, python3's
# http.server, curl and sockets on the host, sha256 of the bytes that crossed.
#   dhcp       the guest gets 10.0.2.15/24, router 10.0.2.2, DNS 10.0.2.3 from slirp's DHCP, its MAC
#   wget       the guest fetches files from a host HTTP server through 10.0.2.2, right sha256
#   hostfwd    a host client fetches a file the guest serves (busybox httpd) through hostfwd=
#   guestfwd   guestfwd= to a host command and to a chardev
#   restrict   restrict=on: no way out to the host, hostfwd still in
#   virtio_legacy  the legacy virtio interface, INTx, mrg_rxbuf=off
#   legacy     -net nic -net user (hub 0) and -netdev hubport: DHCP through a hub
#   socket     two VMs over -netdev socket listen=/connect= (and udp=): ping and a file through nc;
#              socket_qemu: the same between lemu and qemu-system-x86_64
#   tap        -netdev tap,ifname=,script=no: the guest pings the host (root only)
#   errors     option errors, the same text as qemu-system-x86_64's
#
# The emulator is $LEMU_SYSTEM_X86_64 (default build/lemu-system-x86_64). The test itself is
# validated against QEMU with the same options:
#   LEMU_SYSTEM_X86_64=qemu-system-x86_64 bash tests/run.sh -k net/ integration
SUITE_MODE=check
SUITE_TIMEOUT=${LEMU_BOOT_CASE_TIMEOUT:-400}
. "$(dirname "$0")/../lib/case.sh"

BOOT_TIMEOUT=${LEMU_BOOT_TIMEOUT:-150}
SYSGUEST_TOOLS="python3 curl sha256sum"
. "$(dirname "$0")/../lib/sysguest.sh"

# vboot DIR [console.py options...] -- [emulator options...]: boot the guest and drive its console
# (results in DIR: N.out, N.rc, exit, console.log); exit status 0.
vboot() {
	local dir=$1
	shift
	sysguest_boot -x "$dir" --cmd-timeout 120 "$@"
}

# free_port: a TCP port nobody listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The udhcpc script busybox lacks in the initramfs (busybox's default.script is not installed):
# configure the address, the default route and resolv.conf from what the DHCP server said.
UDHCPC_SCRIPT='#!/bin/sh
case "$1" in
deconfig) ip link set "$interface" up; ip addr flush dev "$interface" ;;
bound|renew)
	ifconfig "$interface" "$ip" netmask "$subnet"
	for r in $router; do ip route add default via "$r"; break; done
	: >/etc/resolv.conf
	for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done ;;
esac'
DHCP="echo $(printf '%s\n' "$UDHCPC_SCRIPT" | base64 -w0) | base64 -d >/tmp/udhcpc.sh && chmod +x /tmp/udhcpc.sh && udhcpc -i eth0 -s /tmp/udhcpc.sh -n -q -t 10 -T 2 >/dev/null 2>&1 && echo configured"

# A model every guest driver here knows (QEMU's default for -nic is e1000, not in the initramfs).
MODEL=virtio-net-pci

t_dhcp() {
	vboot d \
		--cmd "$DHCP" \
		--cmd 'ip -4 -o addr show dev eth0 | awk "{print \$4}"' \
		--cmd "ip route | awk '/^default/ {print \$3}'" \
		--cmd 'cat /etc/resolv.conf' \
		--cmd 'cat /sys/class/net/eth0/address' \
		--cmd 'sleep 2; cat /sys/class/net/eth0/carrier' \
		--cmd 'ping -c 1 -W 5 10.0.2.2 >/dev/null && echo pong' \
		-- -nic user,model=$MODEL,mac=52:54:00:ab:cd:01
	[ "$(out d 1)" = configured ] || fail "udhcpc: '$(out d 1)'"
	[ "$(out d 2)" = 10.0.2.15/24 ] || fail "guest address '$(out d 2)', want 10.0.2.15/24"
	[ "$(out d 3)" = 10.0.2.2 ] || fail "default route via '$(out d 3)', want 10.0.2.2"
	[ "$(out d 4)" = "nameserver 10.0.2.3" ] || fail "DNS '$(out d 4)', want 10.0.2.3"
	[ "$(out d 5)" = 52:54:00:ab:cd:01 ] || fail "guest MAC '$(out d 5)', want the mac= given"
	[ "$(out d 6)" = 1 ] || fail "no carrier (link state '$(out d 6)')"
	[ "$(out d 7)" = pong ] || fail "ping of the virtual host 10.0.2.2: '$(out d 7)'"
}

# Host HTTP server in this directory on a free port; its pid in HTTP_PID.
start_http() {
	HTTP_PORT=$(free_port)
	python3 -m http.server --bind 127.0.0.1 "$HTTP_PORT" >http.log 2>&1 &
	HTTP_PID=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/" && return 0
		sleep 0.1
	done
	fail "the host HTTP server did not start"
}

t_wget() {
	mkdir -p www
	head -c 65536 /dev/urandom >www/small.bin
	head -c $((3 * 1048576 + 4321)) /dev/urandom >www/big.bin
	(cd www && start_http && echo "$HTTP_PID" >../http.pid && echo "$HTTP_PORT" >../http.port)
	local port pid
	port=$(cat http.port)
	pid=$(cat http.pid)
	vboot w \
		--cmd "$DHCP" \
		--cmd "wget -q -O - http://10.0.2.2:$port/small.bin | sha256sum" \
		--cmd "wget -q -O /tmp/big.bin http://10.0.2.2:$port/big.bin && sha256sum </tmp/big.bin" \
		--cmd "wget -q -O - http://10.0.2.2:$port/missing.bin; echo status \$?" \
		-- -netdev user,id=n0 -device $MODEL,netdev=n0
	kill "$pid" 2>/dev/null
	[ "$(out w 1)" = configured ] || fail "udhcpc: '$(out w 1)'"
	[ "$(out w 2)" = "$(sha256sum <www/small.bin)" ] || fail "small file: '$(out w 2)'"
	[ "$(out w 3)" = "$(sha256sum <www/big.bin)" ] || fail "3 MiB file: '$(out w 3)'"
	grep -q 'status 1' w/4.out || fail "a missing file did not fail: '$(out w 4)'"
}

# The guest serves /tmp/www with busybox httpd on port 8080 and waits on port 7000 (nc) until
# the host says it is done; the host fetches through hostfwd meanwhile.
GUEST_WWW='mkdir -p /tmp/www && seq 1 200000 >/tmp/www/seq.txt && httpd -p 8080 -h /tmp/www && echo serving'

# host_fetch URL DONEPORT OUT: retry until the guest serves, save the body, tell the guest.
host_fetch() {
	local url=$1 done_port=$2 outf=$3 ok=0
	for _ in $(seq 600); do
		if curl -s -f -m 10 -o "$outf" "$url"; then
			ok=1
			break
		fi
		sleep 0.5
	done
	# Release the guest's "nc -l" (retry: it may not listen yet).
	for _ in $(seq 100); do
		python3 - "$done_port" <<'EOF' && break
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"done\n")
s.shutdown(socket.SHUT_WR)
data = s.recv(100)
sys.exit(0 if data.strip() == b"ack" else 1)
EOF
		sleep 0.5
	done
	[ $ok = 1 ]
}

t_hostfwd() {
	local hp dp
	hp=$(free_port)
	dp=$(free_port)
	host_fetch "http://127.0.0.1:$hp/seq.txt" "$dp" got.txt &
	local fetcher=$!
	vboot h \
		--cmd "$DHCP" \
		--cmd "$GUEST_WWW" \
		--cmd 'echo ack | nc -l -p 7000' \
		-- -nic user,model=$MODEL,hostfwd=tcp:127.0.0.1:$hp-:8080,hostfwd=tcp::$dp-10.0.2.15:7000
	wait $fetcher || fail "the host could not fetch through hostfwd"
	[ "$(out h 2)" = serving ] || fail "guest httpd: '$(out h 2)'"
	[ "$(out h 3)" = done ] || fail "guest nc got '$(out h 3)'"
	[ "$(sha256sum <got.txt)" = "$(seq 1 200000 | sha256sum)" ] || fail "the file fetched through hostfwd differs"
}

# guestfwd=: a guest connection to 10.0.2.100:1234 runs a host command (cmd:), one to
# 10.0.2.101:4321 lands in a chardev (a host file).
t_guestfwd() {
	vboot g \
		--cmd "$DHCP" \
		--cmd 'echo hello-guestfwd | nc 10.0.2.100 1234' \
		--cmd '(echo via-chardev | nc 10.0.2.101 4321 &); sleep 3; echo sent' \
		-- -nic "user,model=$MODEL,guestfwd=tcp:10.0.2.100:1234-cmd:tr a-z A-Z,guestfwd=tcp:10.0.2.101:4321-file:$PWD/gf.txt"
	[ "$(out g 2)" = HELLO-GUESTFWD ] || fail "guestfwd to a command: '$(out g 2)'"
	[ "$(cat gf.txt 2>/dev/null)" = via-chardev ] || fail "guestfwd to a chardev: '$(cat gf.txt 2>/dev/null)'"
}

t_restrict() {
	mkdir -p www
	echo hello >www/hello.txt
	(cd www && start_http && echo "$HTTP_PID" >../http.pid && echo "$HTTP_PORT" >../http.port)
	local port pid hp dp
	port=$(cat http.port)
	pid=$(cat http.pid)
	hp=$(free_port)
	dp=$(free_port)
	host_fetch "http://127.0.0.1:$hp/seq.txt" "$dp" got.txt &
	local fetcher=$!
	vboot r \
		--cmd "$DHCP" \
		--cmd "wget -q -T 5 -O - http://10.0.2.2:$port/hello.txt; echo status \$?" \
		--cmd "$GUEST_WWW" \
		--cmd 'echo ack | nc -l -p 7000' \
		-- -netdev user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$hp-:8080,hostfwd=tcp::$dp-:7000 \
		-device $MODEL,netdev=n0
	kill "$pid" 2>/dev/null
	wait $fetcher || fail "hostfwd does not work with restrict=on"
	[ "$(out r 1)" = configured ] || fail "udhcpc with restrict=on: '$(out r 1)'"
	! grep -q hello r/2.out || fail "restrict=on let the guest reach the host"
	[ "$(sha256sum <got.txt)" = "$(seq 1 200000 | sha256sum)" ] || fail "the file fetched through hostfwd differs"
}

t_legacy() {
	vboot a --cmd "$DHCP" --cmd 'ip -4 -o addr show dev eth0 | awk "{print \$4}"' \
		-- -net nic,model=virtio -net user
	[ "$(out a 2)" = 10.0.2.15/24 ] || fail "-net nic -net user: address '$(out a 2)'"
	vboot b --cmd "$DHCP" --cmd 'ip -4 -o addr show dev eth0 | awk "{print \$4}"' \
		-- -netdev user,id=u,net=10.0.9.0/24,dhcpstart=10.0.9.50 -netdev hubport,id=p0,hubid=3,netdev=u \
		-netdev hubport,id=p1,hubid=3 -device $MODEL,netdev=p1
	[ "$(out b 2)" = 10.0.9.50/24 ] || fail "hubport: address '$(out b 2)', want 10.0.9.50/24 (net=, dhcpstart=)"
}

# The other virtio-net paths: the legacy interface (virtio_pci.force_legacy=1) with INTx
# (vectors=0) and without mergeable buffers (mrg_rxbuf=off: 10-byte headers, one buffer per frame).
t_virtio_legacy() {
	mkdir -p www
	head -c 300000 /dev/urandom >www/f.bin
	(cd www && start_http && echo "$HTTP_PID" >../http.pid && echo "$HTTP_PORT" >../http.port)
	local port pid
	port=$(cat http.port)
	pid=$(cat http.pid)
	APPEND=virtio_pci.force_legacy=1 vboot l \
		--cmd "$DHCP" \
		--cmd "wget -q -O - http://10.0.2.2:$port/f.bin | sha256sum" \
		-- -netdev user,id=n0 -device $MODEL,netdev=n0,mrg_rxbuf=off,vectors=0
	kill "$pid" 2>/dev/null
	[ "$(out l 1)" = configured ] || fail "udhcpc: '$(out l 1)'"
	[ "$(out l 2)" = "$(sha256sum <www/f.bin)" ] || fail "file through the legacy interface: '$(out l 2)'"
}

# Two VMs on one Ethernet: A and B get NETDEV_A / NETDEV_B (socket options); B pings A, then
# sends it a file with nc. EMU_B runs B (QEMU for the interoperability case).
socket_pair() {
	local netdev_a=$1 netdev_b=$2 emu_b=${3:-$EMU}
	local acmds=(
		--cmd 'ip addr add 192.168.77.1/24 dev eth0 && ip link set eth0 up && echo up'
		--cmd 'nc -l -p 5000 >/tmp/got && sha256sum </tmp/got'
	)
	local bcmds=(
		--cmd 'ip addr add 192.168.77.2/24 dev eth0 && ip link set eth0 up && echo up'
		--cmd 'for i in $(seq 60); do ping -c 1 -W 2 192.168.77.1 >/dev/null && break; done; ping -c 3 -W 5 192.168.77.1 >/dev/null && echo pong'
		--cmd 'seq 1 50000 >/tmp/f && for i in $(seq 60); do nc 192.168.77.1 5000 </tmp/f && break; sleep 1; done; sha256sum </tmp/f'
	)
	vboot a "${acmds[@]}" -- -netdev "$netdev_a" -device $MODEL,netdev=s0,mac=52:54:00:77:00:01 >a.log 2>&1 &
	local apid=$!
	case $netdev_a in
	*listen=*)
		local port=${netdev_a##*:}
		for _ in $(seq 100); do
			grep -q ":$(printf '%04X' "$port") 00000000:0000 0A" /proc/net/tcp && break
			sleep 0.1
		done ;;
	esac
	EMU=$emu_b vboot b "${bcmds[@]}" -- -netdev "$netdev_b" -device $MODEL,netdev=s0,mac=52:54:00:77:00:02
	wait $apid || { cat a.log; fail "VM A"; }
	[ "$(out b 2)" = pong ] || fail "B could not ping A over the socket: '$(out b 2)'"
	local want
	want=$(seq 1 50000 | sha256sum)
	[ "$(out b 3)" = "$want" ] || fail "B's file: '$(out b 3)'"
	[ "$(out a 2)" = "$want" ] || fail "A received '$(out a 2)', want $want"
}

t_socket() {
	local port
	port=$(free_port)
	socket_pair "socket,id=s0,listen=127.0.0.1:$port" "socket,id=s0,connect=127.0.0.1:$port"
}

# The same over UDP unicast (udp=, localaddr=): one datagram per frame.
t_socket_udp() {
	local pa pb
	pa=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	pb=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	socket_pair "socket,id=s0,udp=127.0.0.1:$pb,localaddr=127.0.0.1:$pa" \
		"socket,id=s0,udp=127.0.0.1:$pa,localaddr=127.0.0.1:$pb"
}

# lemu listens, QEMU connects: the length-prefixed framing is the same on both sides.
t_socket_qemu() {
	command -v qemu-system-x86_64 >/dev/null || { echo "no qemu-system-x86_64: interoperability not checked"; return 0; }
	local port
	port=$(free_port)
	socket_pair "socket,id=s0,listen=127.0.0.1:$port" "socket,id=s0,connect=127.0.0.1:$port" qemu-system-x86_64
}

# -netdev tap: a host TAP interface lemu creates (root and /dev/net/tun needed: else not checked).
# The host gives the interface an address; the guest pings it.
t_tap() {
	if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] || ! command -v ip >/dev/null; then
		echo "tap not checked: needs root, /dev/net/tun and ip(8)"
		return 0
	fi
	local ifn=lemutap$(($$ % 100000)) sub=192.168.$((100 + $$ % 100))
	(
		for _ in $(seq 600); do
			ip link show "$ifn" >/dev/null 2>&1 && break
			sleep 0.2
		done
		ip addr add "$sub.1/24" dev "$ifn" && ip link set "$ifn" up
	) &
	vboot t \
		--cmd "ip addr add $sub.2/24 dev eth0 && ip link set eth0 up && echo up" \
		--cmd "for i in \$(seq 60); do ping -c 1 -W 2 $sub.1 >/dev/null && break; done; ping -c 2 -W 5 $sub.1 >/dev/null && echo pong" \
		-- -netdev tap,id=t0,ifname=$ifn,script=no,downscript=no -device $MODEL,netdev=t0
	wait
	[ "$(out t 2)" = pong ] || fail "the guest could not ping the host over $ifn: '$(out t 2)'"
	! ip link show "$ifn" >/dev/null 2>&1 || fail "$ifn still exists after the emulator exited"
}

# Option errors: the text after the program name is QEMU's (when QEMU is there to compare).
t_errors() {
	local bad=(
		"-netdev user"
		"-netdev user,id=n0,foo=1"
		"-netdev bogus,id=n0"
		"-netdev user,id=n0 -netdev user,id=n0"
		"-netdev user,id=1abc"
		"-netdev user,id=n0,hostfwd=tcp::abc-:22"
		"-netdev user,id=n0,hostfwd=xyz::1-:22"
		"-netdev user,id=n0,hostfwd=tcp::1"
		"-netdev user,id=n0,hostfwd=tcp::1-1.2.3.4.5:22"
		"-netdev user,id=n0,hostfwd=tcp::70000-:22"
		"-netdev user,id=n0,guestfwd=tcp:10.0.2.100:80"
		"-netdev user,id=n0,net=10.0.2.0/33"
		"-netdev user,id=n0,net=foo"
		"-netdev user,id=n0,host=1.2.3.4"
		"-netdev user,id=n0,dhcpstart=1.2.3.4"
		"-netdev user,id=n0,restrict=maybe"
		"-netdev user,id=n0,ipv6=off,ipv4=off"
		"-device virtio-net-pci,netdev=n9"
		"-netdev user,id=n0 -device virtio-net-pci,netdev=n0 -device virtio-net-pci,netdev=n0"
		"-netdev user,id=n0 -device virtio-net-pci,netdev=n0,mac=zz"
		"-netdev socket,id=s"
		"-netdev socket,id=s,listen=:1,connect=:2"
		"-netdev socket,id=s,listen=foo"
		"-netdev tap,id=t,ifname=x,fd=3"
		"-netdev hubport,id=h"
	)
	local qemu
	qemu=$(command -v qemu-system-x86_64 || true)
	local n=0
	for a in "${bad[@]}"; do
		local got want
		# shellcheck disable=SC2086  # $a is a list of options
		got=$(timeout 20 "$EMU" -nodefaults -display none -kernel "$ROOT/.cache/guest/vmlinuz" $a 2>&1 >/dev/null)
		local rc=$?
		[ $rc = 1 ] || fail "'$a': exit status $rc, want 1 ($got)"
		got=$(sed -e '1s/^[^:]*: //' <<<"$got")
		if [ -n "$qemu" ]; then
			# shellcheck disable=SC2086
			want=$(timeout 20 "$qemu" -nodefaults -display none -S $a 2>&1 >/dev/null | sed -e '1s/^[^:]*: //')
			[ "$got" = "$want" ] || fail "'$a': '$got', QEMU says '$want'"
		else
			[ -n "$got" ] || fail "'$a': no message"
		fi
		n=$((n + 1))
	done
	echo "$n option errors checked"
}
case_main "$@"
