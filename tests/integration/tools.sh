#!/bin/bash
# GNU grep (incl. -P, PCRE2 with its JIT), findutils, GNU tar and file, native vs lemu-x86_64.
. "$(dirname "$0")/../lib/case.sh"

t_grep() { $E /bin/grep -n -i 'the' "$FIX/text.txt"; $E /bin/grep -c -v e "$FIX/words.txt"; $E /bin/grep -E -o '[0-9]{3,}' "$FIX/big.txt" | tail -n 3; }
t_grep_P() { $E /bin/grep -P -o '(?<=value )\s*\d+(?= [a-f])' "$FIX/big.txt" | md5sum; $E /bin/grep -P '^\w+\s(?:\w+\s){2}\w+[.!]$' "$FIX/text.txt"; }
t_grep_P_unicode() { printf 'caf\xc3\xa9 na\xc3\xafve\nplain\n' | LC_ALL=C.UTF-8 $E /bin/grep -P -o '\w*[^\x00-\x7f]\w*'; }
t_grep_r() { $E /bin/grep -r -l -Z two "$FIX/tree" | tr '\0' '\n' | sort; $E /bin/grep -q zebra "$FIX/text.txt"; echo "rc=$?"; $E /bin/grep nomatch "$FIX/text.txt"; }
t_grep_F_big() { $E /bin/grep -F -c -e 'value' -e 'abc' "$FIX/big.txt"; $E /bin/grep -w -f "$FIX/set1.txt" "$FIX/words.txt" | wc -l; }
t_find_name() { $E /usr/bin/find "$FIX/tree" -name '*.txt' | sort; $E /usr/bin/find "$FIX/tree" -iname '*K*' -type f | sort; }
t_find_type_size() { $E /usr/bin/find "$FIX/tree" -type d | sort; $E /usr/bin/find "$FIX/tree" -size +4k | sort; $E /usr/bin/find "$FIX/tree" -type f -empty; $E /usr/bin/find "$FIX/tree" -type l -printf '%p -> %l\n'; }
t_find_printf() { $E /usr/bin/find "$FIX/tree" -printf '%P %s %m %y %TY-%Tm-%Td\n' | sort; $E /usr/bin/find "$FIX/tree" -maxdepth 1 -newer "$FIX/tree/a/b/five-k.dat" | sort; }
t_find_exec() { $E /usr/bin/find "$FIX/tree" -type f -name '*.txt' -exec cat {} + | sort; $E /usr/bin/find "$FIX/tree" -path '*b*' -prune -o -type f -print | sort; }
t_xargs() { find "$FIX/tree" -type f -print0 | sort -z | $E /usr/bin/xargs -0 -n 2 md5sum | sed "s|$FIX/||"; }
t_tar_c() { $E /bin/tar -c -f t.tar -C "$FIX" --sort=name tree; tar -t -v -f t.tar; sha256sum <t.tar; }
t_tar_t() { tar -c -C "$FIX" tree | $E /bin/tar -t -v | sort; }
t_tar_x() { tar -c -C "$FIX" tree | $E /bin/tar -x; find tree -printf '%p %s %m %TY %y\n' | sort; cat tree/a/two.txt; }
t_tar_gz() { $E /bin/tar -c -z -f t.tgz -C "$FIX" --sort=name tree; tar -t -z -f t.tgz | sort; $E /bin/tar -x -z -f t.tgz -O tree/a/two.txt; }
t_file() { $E /usr/bin/file -b "$FIX/text.txt" "$FIX/random.bin" "$FIX/tree/d/script.sh" /bin/busybox /usr/bin/python3; }
t_diff() { $E /usr/bin/diff -u "$FIX/set1.txt" "$FIX/set2.txt" | tail -n +3; $E /usr/bin/cmp "$FIX/big.txt" "$FIX/text.txt"; echo "rc=$?"; }
t_sed() { $E /bin/sed -E -n 's/^line ([0-9]+)5 value +([0-9]+).*/\2:\1/p' "$FIX/big.txt" | md5sum; $E /bin/sed -e '1~3d' -e 's/[aeiou]/<&>/2g' "$FIX/text.txt"; }
t_bash() { $E /bin/bash "$FIX/script.sh"; }
t_bash_features() { $E /bin/bash -c 'declare -A m=([x]=1 [y]=2); a=(3 1 2); echo ${#a[@]} ${a[1]} ${!m[@]}; printf -v s "%05d" 42; echo $s; echo $((2**62)); [[ abc =~ ^a(b)c$ ]] && echo ${BASH_REMATCH[1]}; for ((i=0;i<3;i++)); do echo i$i; done; echo ${s//0/o}; mapfile -t L <'"$FIX"'/set1.txt; echo ${#L[@]}'; }

case_main "$@"
