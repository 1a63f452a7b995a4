#!/bin/bash
# perl: regexes, sprintf, sort, hashes, native vs lemu-x86_64.
. "$(dirname "$0")/../lib/case.sh"
pl() { $E /usr/bin/perl "$@"; }

t_hello() { pl -e 'print "hello from perl\n"'; }
t_regex() { pl -ne 'print "$1|$2\n" if /(\w+)\s+(\w+)$/; print "digits: @{[ /(\d+)/g ]}\n" if /\d/' "$FIX/text.txt"; }
t_regex_subst() { pl -pe 's/(\w)(\w*)/\U$1\E$2/g; s/\s+$//; $_ .= "\n"' "$FIX/text.txt"; }
t_sprintf() { pl -e 'printf "%5d|%-8s|%08.3f|%x|%o|%e|%g|%s|%b\n", 42, "ab", 3.14159, 255, 8, 1234.5, 0.0001, 2**53+1, 10; printf "%.15g %.0f %d\n", 0.1+0.2, 2.5, -7/2'; }
t_sort() { pl -e 'my @n = map { chomp; $_ } <>; print join(",", (sort { $a <=> $b } @n)[0..9]), "\n"; print join(",", (sort { $b cmp $a } @n)[0..9]), "\n"' "$FIX/numbers.txt"; }
t_hash() { pl -ne 'chomp; $c{$_}++; END { print "$_ $c{$_}\n" for sort { $c{$b} <=> $c{$a} || $a cmp $b } keys %c }' "$FIX/words.txt"; }
t_split_join() { pl -F, -lane 'next if $. == 1; $s{$F[2]} += $F[3]; END { print join " ", map { "$_=$s{$_}" } sort keys %s }' "$FIX/table.csv"; }
t_pack() { pl -e 'print unpack("H*", pack("NnCa4w", 0xdeadbeef, 513, 7, "xy", 300)), "\n"; print join(",", unpack("l< q> d", pack("l< q> d", -2, -3, 1.5))), "\n"'; }
t_bigmath() { pl -Mbigint -e 'print 2**200, "\n", 100->bfac() % 1000000007, "\n"'; }
t_digest() { pl -MDigest::MD5=md5_hex -MDigest::SHA=sha256_hex -e 'local $/; my $d = <>; print md5_hex($d), " ", sha256_hex($d), "\n"' "$FIX/big.txt"; }
t_files() { pl -e 'mkdir "d" or die; open my $f, ">", "d/x" or die; print $f "data\n" x 3; close $f; print -s "d/x", "\n"; opendir my $h, "d"; print join(",", sort grep !/^\./, readdir $h), "\n"; rename "d/x", "d/y"; print -e "d/y" ? "renamed\n" : "no\n"; unlink "d/y"; rmdir "d"; exit 3'; }
t_fork_wait() { pl -e 'my $p = fork; if ($p == 0) { exit 7 } waitpid($p, 0); print "child ", $? >> 8, "\n"; print `echo backtick`'; }

case_main "$@"
