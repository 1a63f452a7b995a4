#!/bin/bash
# gzip, bzip2 and xz round trips: compress emulated and decompress natively, and the reverse;
# compressed bytes must also be identical to the native ones (same program, same input).
. "$(dirname "$0")/../lib/case.sh"

t_gzip_c() { $E /bin/gzip -c -n -6 <"$FIX/big.txt" | tee z | sha256sum; gzip -dc z | sha256sum; }
t_gzip_9_rand() { $E /bin/gzip -c -n -9 <"$FIX/random.bin" | sha256sum; }
t_gzip_d() { gzip -c -n <"$FIX/big.txt" >z; $E /bin/gzip -dc z | sha256sum; gzip -c <"$FIX/random.bin" | $E /bin/gzip -d | md5sum; }
t_gzip_file() { cp "$FIX/text.txt" f; $E /bin/gzip -n f; ls; $E /bin/gzip -l f.gz; $E /bin/gzip -t f.gz && echo ok; $E /bin/gzip -d f.gz; md5sum f; }
t_gzip_bad() { gzip -c "$FIX/text.txt" >good.gz; printf 'not gzip data' >bad.gz; $E /bin/gzip -t good.gz && $E /bin/gzip -t bad.gz; echo "rc=$?"; }
t_bzip2_c() { $E /bin/bzip2 -c -9 <"$FIX/big.txt" | tee z | sha256sum; bzip2 -dc z | sha256sum; }
t_bzip2_d() { bzip2 -c <"$FIX/big.txt" | $E /bin/bzip2 -dc | sha256sum; bzip2 -c <"$FIX/random.bin" | $E /bin/bunzip2 | md5sum; }
t_bzip2_small() { $E /bin/bzip2 -c -1 <"$FIX/random.bin" | bzip2 -dc | md5sum; }
t_xz_c() { $E /usr/bin/xz -c -6 <"$FIX/big.txt" | tee z | sha256sum; xz -dc z | sha256sum; }
t_xz_d() { xz -c <"$FIX/big.txt" | $E /usr/bin/xz -dc | sha256sum; xz -c -0 <"$FIX/random.bin" | $E /usr/bin/unxz | md5sum; }
t_xz_threads() { $E /usr/bin/xz -T2 --block-size=100KiB -c -3 <"$FIX/big.txt" | tee z | sha256sum; xz -dc z | sha256sum; }
t_xz_check() { $E /usr/bin/xz -c -1 --check=sha256 <"$FIX/text.txt" >z; xz -l z | tail -n 1 | awk '{print $(NF - 1)}'; $E /usr/bin/xz -t z && echo ok; }
t_xz_lzma() { $E /usr/bin/xz --format=lzma -c <"$FIX/text.txt" | $E /usr/bin/xz -dc --format=lzma | md5sum; }

case_main "$@"
