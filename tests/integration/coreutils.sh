#!/bin/bash
# GNU coreutils (dynamically linked, so the dynamic loader and libc run emulated too),
# native vs lemu-x86_64.
. "$(dirname "$0")/../lib/case.sh"

t_ls() { $E /bin/ls -l --time-style=+%F_%T "$FIX/tree" "$FIX/tree/a"; $E /bin/ls -1 -R -a "$FIX/tree"; }
t_ls_sort() { $E /bin/ls -l -S -r --time-style=long-iso "$FIX/tree/a/b"; $E /bin/ls -t "$FIX/tree/a/b"; }
t_sort() { $E /usr/bin/sort "$FIX/words.txt" | md5sum; $E /usr/bin/sort -t, -k3,3 -k4,4nr "$FIX/table.csv"; }
t_sort_g() { $E /usr/bin/sort -g "$FIX/floats.txt"; $E /usr/bin/sort -n -u "$FIX/numbers.txt" | head -n 20; }
t_sort_big() { $E /usr/bin/sort -k4 -k2n "$FIX/big.txt" | sha256sum; }
t_sort_parallel() { $E /usr/bin/sort --parallel=2 -S 200K -T . -k4n "$FIX/big.txt" | sha256sum; ls; }
t_sha256sum() { $E /usr/bin/sha256sum "$FIX/big.txt" "$FIX/random.bin" "$FIX/text.txt"; }
t_md5_sha1_b2() { $E /usr/bin/md5sum "$FIX/random.bin"; $E /usr/bin/sha1sum "$FIX/big.txt"; $E /usr/bin/b2sum "$FIX/text.txt"; }
t_sha512sum() { $E /usr/bin/sha512sum "$FIX/random.bin"; $E /usr/bin/sha224sum "$FIX/big.txt"; }
t_cksum() { $E /usr/bin/cksum "$FIX/big.txt" "$FIX/random.bin"; $E /usr/bin/sum "$FIX/random.bin"; }
t_seq() { $E /usr/bin/seq 1 7; $E /usr/bin/seq -f '%.3f' 0 0.125 1; $E /usr/bin/seq -s' ' 1e6 250000 2e6; $E /usr/bin/seq 100000 | md5sum; }
t_wc() { $E /usr/bin/wc "$FIX/text.txt" "$FIX/big.txt" "$FIX/random.bin"; $E /usr/bin/wc -L -m "$FIX/text.txt"; }
t_date() { $E /bin/date -u -d @0; $E /bin/date -u -d '2001-02-03 04:05:06' '+%s %A %B %U %j %Z'; $E /bin/date -u -d @1700000000 -R; }
t_date_arith() { $E /bin/date -u -d '2024-02-28 +1 day' +%F; $E /bin/date -u -d '2000-01-01 -1 sec' '+%F %T'; }
t_factor() { $E /usr/bin/factor 1 2 3 4 360 1000000007 600851475143 18446744073709551615 170141183460469231731687303715884105727; }
t_expr() { $E /usr/bin/expr 7 \* 6; $E /usr/bin/expr 9223372036854775807 + 1; echo "rc=$?"; $E /usr/bin/expr substr emulator 3 4; $E /usr/bin/expr match abc 'a\(.*\)'; }
t_cut() { $E /usr/bin/cut -d, -f1,3 "$FIX/table.csv"; $E /usr/bin/cut -c1-5,10- "$FIX/text.txt"; $E /usr/bin/cut -b2-4 --complement "$FIX/text.txt"; }
t_tr() { $E /usr/bin/tr a-z A-Z <"$FIX/text.txt"; $E /usr/bin/tr -cd '[:digit:]\n' <"$FIX/text.txt"; $E /usr/bin/tr -s '[:space:]' '\n' <"$FIX/text.txt"; }
t_od() { $E /usr/bin/od -A x -t x1z -v "$FIX/small.bin"; $E /usr/bin/od -t f8 -N 64 "$FIX/random.bin"; $E /usr/bin/od -t u2 -j 100 -N 40 "$FIX/random.bin"; }
t_comm() { $E /usr/bin/comm "$FIX/set1.txt" "$FIX/set2.txt"; $E /usr/bin/comm -12 "$FIX/set1.txt" "$FIX/set2.txt"; }
t_split() { $E /usr/bin/split -l 5000 -d "$FIX/big.txt" part.; ls; cat part.* | cmp - "$FIX/big.txt" && echo same; }
t_join() { sort -t, -k1,1 "$FIX/table.csv" >a; awk -F, '{ print $1 "," length($2) }' "$FIX/table.csv" | sort -t, -k1,1 >b; $E /usr/bin/join -t, a b | head -n 15; }
t_head_tail() { $E /usr/bin/head -n -20000 "$FIX/big.txt" | md5sum; $E /usr/bin/tail -c 100 "$FIX/big.txt"; $E /usr/bin/tac "$FIX/text.txt"; }
t_uniq_nl() { sort "$FIX/words.txt" | $E /usr/bin/uniq -c | $E /usr/bin/nl -ba; }
t_printf() { $E /usr/bin/printf '%d %5.2f %s %x %o %e %g %q\n' 42 3.14159 str 255 8 1e-10 0.0001 'a b'; }
t_numfmt() { $E /usr/bin/numfmt --to=iec 1 1023 1024 1048576 123456789 9999999999; }
t_base64_32() { $E /usr/bin/base64 "$FIX/small.bin"; $E /usr/bin/base32 "$FIX/small.bin"; $E /usr/bin/base64 -w 0 "$FIX/random.bin" | $E /usr/bin/base64 -d | md5sum; }
t_fileops() {
	$E /bin/mkdir -p a/b/c && $E /bin/cp -r "$FIX/tree" t && $E /bin/mv t/one.txt a/b/ && $E /bin/ln -s b a/l &&
		$E /bin/rm -r t/a && $E /bin/chmod 600 a/b/one.txt && $E /usr/bin/touch -d @86400 a/b/one.txt
	find . | sort; stat -c '%n %s %a %Y' a/b/one.txt; readlink a/l
}
t_stat() { $E /usr/bin/stat -c '%n %s %a %A %F %Y %h' "$FIX/tree/one.txt" "$FIX/tree/a" "$FIX/tree/d/link-to-one"; }
t_du_df() { $E /usr/bin/du -a --apparent-size -b "$FIX/tree" | sort -k2; }
t_dd() { $E /bin/dd if="$FIX/random.bin" bs=4096 skip=5 count=3 status=none | md5sum; }
t_env_true_false() { $E /usr/bin/env -u TZ /usr/bin/env | grep -v '^_=' | sort; $E /bin/true; echo $?; $E /bin/false; echo $?; }
t_test_expr() { $E /usr/bin/test 3 -gt 2 -a -f "$FIX/text.txt"; echo $?; $E /usr/bin/[ abc = abd -o 1 -eq 1 ]; echo $?; $E /usr/bin/test -z x; echo $?; }
t_basename() { $E /usr/bin/basename -a /a/b.c d/e.c; $E /usr/bin/dirname /a/b/c d; $E /usr/bin/realpath -m /a/../b/./c; }
t_shuf_seeded() { $E /usr/bin/shuf --random-source="$FIX/random.bin" -n 10 "$FIX/words.txt"; }
t_pr_fmt() { $E /usr/bin/fmt -w 30 "$FIX/text.txt"; $E /usr/bin/pr -2 -t -w 60 "$FIX/set1.txt"; }
t_csplit() { $E /usr/bin/csplit -s -f p "$FIX/text.txt" '/^$/' && wc -c p*; }
t_install_sync() { $E /usr/bin/install -m 751 "$FIX/text.txt" inst && stat -c '%a %s' inst; $E /bin/sync; }

case_main "$@"
