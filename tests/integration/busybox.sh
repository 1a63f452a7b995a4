#!/bin/bash
# Debian's static busybox (/bin/busybox) applets, native vs lemu-x86_64.
# busybox-i386.sh runs the same cases with the i386 busybox under lemu-i386.
. "$(dirname "$0")/../lib/case.sh"
BB=${BB:-/bin/busybox}

declare -F suite_requires >/dev/null || suite_requires() {
	[ -x "$BB" ] || { echo "$BB missing (scripts/deps.sh test)"; return 1; }
}

# --- text
t_echo() { bb echo hello "  spaced  " world; bb echo -n no-newline; bb echo -e 'a\tb\x41\0101'; }
t_printf() { bb printf '%5d|%-6s|%x|%o|%08.3f|%e|%c|%%|%s\n' 42 ab 255 8 3.14159 12345.678 Z "x y"; }
t_printf_neg() { bb printf '%d %i %u\n' -1 -2147483648 4294967295; }
t_cat() { bb cat "$FIX/text.txt" "$FIX/small.bin"; }
t_cat_n() { bb cat -n "$FIX/text.txt"; }
t_cat_stdin() { bb cat <"$FIX/big.txt" | md5sum; }
t_sort() { bb sort "$FIX/words.txt"; }
t_sort_n() { bb sort -n "$FIX/numbers.txt"; }
t_sort_ru() { bb sort -r -u "$FIX/words.txt"; }
t_sort_k() { bb sort -t, -k3,3 -k4,4n "$FIX/table.csv"; }
t_sort_big() { bb sort -k4 "$FIX/big.txt" | md5sum; }
t_uniq() { sort "$FIX/words.txt" | bb uniq -c; }
t_uniq_d() { sort "$FIX/words.txt" | bb uniq -d -i; }
t_wc() { bb wc "$FIX/text.txt" "$FIX/big.txt" "$FIX/random.bin"; }
t_wc_l() { bb wc -l <"$FIX/words.txt"; }
t_head() { bb head -n 3 "$FIX/text.txt"; bb head -c 17 "$FIX/big.txt"; }
t_tail() { bb tail -n 4 "$FIX/text.txt"; bb tail -c 30 "$FIX/big.txt"; bb tail -n +20 "$FIX/numbers.txt" | md5sum; }
t_cut() { bb cut -d, -f2,4 "$FIX/table.csv"; bb cut -c3-8 "$FIX/text.txt"; }
t_tr() { bb tr 'a-z' 'A-Z' <"$FIX/text.txt"; bb tr -d 'aeiou' <"$FIX/text.txt"; bb tr -s ' ' <"$FIX/text.txt"; }
t_sed() { bb sed -e 's/o/0/g' -e '/^$/d' -e '3q' "$FIX/text.txt"; }
t_sed_n() { bb sed -n -e '/quick/p' -e '$=' "$FIX/text.txt"; bb sed 's/\([a-z]*\) \([a-z]*\)/\2 \1/' "$FIX/text.txt"; }
t_sed_inplace() { cp "$FIX/text.txt" t; bb sed -i 's/the/THE/2; y/abc/xyz/' t; cat t; }
t_awk() { bb awk -F, 'NR > 1 { s[$3] += $4; n[$3]++ } END { for (d in s) printf "%s %d %.2f\n", d, s[d], s[d] / n[d] }' "$FIX/table.csv" | sort; }
t_awk_math() { bb awk 'BEGIN { p = 1; for (i = 0; i < 70; i++) p *= 2; printf "%.6f %.3e %d %d %s %x\n", 1 / 3, p, int(-3.7), 7 % -3, 4503599627370496 + 1, 48879; x = "abc"; print length(x), toupper(x), substr("emulator", 3), index("banana", "nan"), 0.1 + 0.2; }'; }
t_awk_fields() { bb awk '{ n += NF; w[NR % 3] = w[NR % 3] $1 } END { print n, w[0], w[1], w[2] }' "$FIX/text.txt"; }
t_grep() { bb grep -n 'quick' "$FIX/text.txt"; bb grep -c -i 'THE' "$FIX/text.txt"; bb grep -v -e a -e e "$FIX/text.txt"; }
t_grep_e() { bb grep -E -o '[0-9]+|0x[0-9a-f]+' "$FIX/text.txt"; bb grep -w -q jump "$FIX/text.txt"; echo "rc=$?"; }
t_grep_r() { bb grep -r -l two "$FIX/tree" | sort; bb grep nomatch "$FIX/text.txt"; }
t_expr() { bb expr 7 \* 6; bb expr length "hello"; bb expr 100 / 7 % 3; bb expr abc : 'a\(.*\)'; bb expr 3 \< 2; }
t_seq() { bb seq 5; bb seq -s, 10 -3 -8; bb seq -w 8 11; }
t_tac() { bb tac "$FIX/text.txt"; }
t_rev() { bb rev "$FIX/text.txt"; }
t_fold() { bb fold -w 13 "$FIX/text.txt"; bb fold -s -w 20 "$FIX/text.txt"; }
t_nl() { bb nl "$FIX/text.txt"; }
t_paste() { bb paste -d: "$FIX/set1.txt" "$FIX/set2.txt"; bb paste -s -d+ "$FIX/set1.txt"; }
t_expand() { bb expand -t 4 "$FIX/text.txt"; printf 'a        b\n' | bb unexpand -a; }
t_strings() { bb strings -n 3 "$FIX/small.bin"; }
t_xargs() { bb seq 1 20 | bb xargs -n 6 echo; }

# --- checksums and encodings
t_md5sum() { bb md5sum "$FIX/text.txt" "$FIX/random.bin"; }
t_sha1sum() { bb sha1sum "$FIX/big.txt" "$FIX/small.bin"; }
t_sha256sum() { bb sha256sum "$FIX/big.txt" "$FIX/random.bin"; }
t_sha512sum() { bb sha512sum "$FIX/big.txt" "$FIX/random.bin"; }
t_sha3sum() { bb sha3sum "$FIX/text.txt"; }
t_sum_check() { sha256sum "$FIX/text.txt" >sums; bb sha256sum -c sums; }
t_crc32() { bb crc32 "$FIX/random.bin"; }
t_base64() { bb base64 "$FIX/small.bin"; bb base64 "$FIX/random.bin" | bb base64 -d | md5sum; }
t_od() { bb od -A x -t x1 -v "$FIX/small.bin"; bb od -c "$FIX/small.bin"; bb od -t d4 -N 32 "$FIX/random.bin"; }
t_hexdump() { bb hexdump -C "$FIX/small.bin"; bb hexdump -n 64 "$FIX/random.bin"; }
t_xxd() { bb xxd "$FIX/small.bin"; bb xxd -p "$FIX/small.bin" | bb xxd -r -p | md5sum; }
t_uuencode() { bb uuencode data <"$FIX/small.bin"; }

# --- compression (compress emulated, decompress natively, and the reverse)
t_gzip() { bb gzip -c -9 -n "$FIX/big.txt" | sha256sum; bb gzip -c -1 -n "$FIX/big.txt" | gzip -dc | sha256sum; }
t_gunzip() { gzip -c -n "$FIX/big.txt" | bb gunzip -c | sha256sum; gzip -c "$FIX/random.bin" | bb zcat | md5sum; }
t_bzip2() { bb bzip2 -c "$FIX/big.txt" | bzip2 -dc | sha256sum; bzip2 -c "$FIX/random.bin" | bb bunzip2 -c | md5sum; }
t_xz() { xz -c "$FIX/big.txt" | bb xzcat | sha256sum; xz -c "$FIX/text.txt" >t.xz; bb xz -d -c t.xz | md5sum; }
t_tar_c() { bb tar -c -C "$FIX" tree | tar -t -v | sort; }
t_tar_t() { tar -c -C "$FIX" tree >t.tar; bb tar -t -v -f t.tar; }
t_tar_x() { tar -c -C "$FIX" tree | bb tar -x; find tree | sort; cat tree/a/two.txt; md5sum tree/a/b/c/twenty-k.bin; }
t_tar_z() { bb tar -c -z -f t.tgz -C "$FIX" tree; tar -t -z -f t.tgz | sort; }
t_cpio() { (cd "$FIX" && find tree | sort) | (cd "$FIX" && bb cpio -o -H newc) | busybox cpio -i -t 2>/dev/null | sort; }

# --- files and directories (in the scratch directory)
t_ls_l() { bb ls -l "$FIX/tree" "$FIX/tree/a" "$FIX/tree/d"; }
t_ls_r() { bb ls -R -a "$FIX/tree"; bb ls -1 -S "$FIX/tree/a/b"; }
t_find() { bb find "$FIX/tree" | sort; bb find "$FIX/tree" -type f -name '*.txt' | sort; }
t_find_size() { bb find "$FIX/tree" -size +2k -type f | sort; bb find "$FIX/tree" -type l; bb find "$FIX/tree" -newer "$FIX/tree/a/b/five-k.dat" -name '*.bin'; }
t_stat() { bb stat -c '%n %s %a %F %Y' "$FIX/tree/one.txt" "$FIX/tree/d" "$FIX/tree/d/link-to-one" "$FIX/tree/d/script.sh"; }
t_du() { bb du -a "$FIX/tree" | sort -k2; bb du -s -k "$FIX/tree"; }
t_basename() { bb basename /usr/lib/libfoo.so.1 .1; bb basename dir/file.txt .txt; bb dirname /usr/lib/libfoo.so; bb dirname file; }
t_readlink() { bb readlink "$FIX/tree/d/link-to-one"; bb realpath "$FIX/tree/d/../a/./two.txt" | sed "s|$FIX|FIX|"; }
t_fileops() {
	bb mkdir -p x/y/z && bb cp "$FIX/text.txt" x/y/z/t && bb mv x/y/z/t x/moved && bb ln -s moved x/sym
	bb touch -d '2020-01-01 00:00:00' x/moved && bb cp -a x x2 && bb rm -r x/y && bb rmdir x2/y/z
	find x x2 | sort; ls -l x x2 | sed 's/ *[0-9]* [A-Z][a-z][a-z] .* / DATE /'; cat x2/sym | md5sum
}
t_dd() { bb dd if="$FIX/random.bin" bs=1000 skip=3 count=7 2>/dev/null | md5sum; bb dd if="$FIX/text.txt" bs=7 count=2 conv=ucase 2>/dev/null; }
t_truncate() { cp "$FIX/text.txt" t; bb truncate -s 10 t; cat t; echo; bb truncate -s 2k t; wc -c <t; }
t_cmp() { bb cmp "$FIX/text.txt" "$FIX/text.txt"; echo "rc=$?"; bb cmp "$FIX/text.txt" "$FIX/big.txt"; echo "rc=$?"; }
t_cmp_l() { head -c 100 "$FIX/random.bin" >a; { head -c 40 a; printf 'XYZ'; tail -c 57 a; } >b; bb cmp -l a b; }
t_diff() { bb diff "$FIX/set1.txt" "$FIX/set2.txt"; echo "rc=$?"; bb diff -u "$FIX/set1.txt" "$FIX/set2.txt" | tail -n +3; }
t_tee() { bb seq 3 | bb tee a b; cat a b; }
t_mktemp_dir() { d=$(bb mktemp -d -p .) && [ -d "$d" ] && echo made; }

# --- shell
t_sh_script() { bb sh "$FIX/script.sh"; }
t_sh_pipes() { bb sh -c 'seq 1 50 | while read n; do [ $((n % 7)) = 0 ] && echo "seven $n"; done; echo $((3 * (4 + 5)))'; }
t_sh_subshell() { bb sh -c 'x=1; (x=2; echo in $x); echo out $x; { echo grouped; } >f; cat f; echo $(( $(cat f | wc -c) + 1 ))'; }
t_sh_jobs() { bb sh -c '(for i in 3 2 1; do (sleep 0.0$i; echo job$i) & done; wait) | sort; echo all done; seq 1 200000 | sort -n | tail -n 2'; }
t_sh_exit() { bb sh -c 'exit 42'; }
t_sh_trap() { bb sh -c 'trap "echo trapped" EXIT; echo body'; bb sh -c 'trap "echo usr1" USR1; kill -USR1 $$; echo after'; }
t_test() { for e in '1 -lt 2' '5 -ge 9' '-n abc' '-z abc' "-f $FIX/text.txt" "-d $FIX/text.txt" "-x $FIX/tree/d/script.sh" 'abc = abc'; do bb test $e; echo "$e: $?"; done; }
t_true_false() { bb true; echo $?; bb false; echo $?; }
t_date() { bb date -u -d @0; bb date -u -d @1234567890 '+%Y-%m-%d %H:%M:%S %j %a %b %s'; }
t_factor() { bb factor 1 2 97 1000000007 600851475143 18446744073709551615; }
t_bc() { echo 'scale=30; 4*a(1); 2^100; sqrt(2)' | bb bc -l; }
t_dc() { bb dc -e '2 64 ^ 1 - p 17 3 / p'; }
t_env() { bb env -i A=1 B=two "$BB" sh -c 'echo $A $B'; bb env | grep -E '^(TZ|LC_ALL)=' | sort; }
t_sleep() { bb sleep 0.1 && bb usleep 1000 && echo slept; }
t_id() { bb id -u; bb id -g; bb whoami; }
t_uname_s() { bb uname -s; }
t_yes() { bb yes abc | head -n 3; }

case_main "$@"
