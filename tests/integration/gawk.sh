#!/bin/bash
# GNU awk (dynamic), native vs lemu-x86_64.
. "$(dirname "$0")/../lib/case.sh"
ga() { $E /usr/bin/gawk "$@"; }

t_sum() { ga -F, 'NR > 1 { s[$3] += $4; n[$3]++ } END { PROCINFO["sorted_in"] = "@ind_str_asc"; for (d in s) printf "%s %d %.3f\n", d, s[d], s[d] / n[d] }' "$FIX/table.csv"; }
t_math() { ga 'BEGIN { printf "%.10f %.10f %.10f %.10f %d %s\n", sin(1), cos(2), atan2(1, 2), exp(3), int(-7.9), 2^53; srand(7); print rand(), int(rand() * 1000) }'; }
t_strings() { ga '{ print toupper(substr($0, 1, 10)), length($0), gensub(/([a-z]+) ([a-z]+)/, "\\2 \\1", "g") }' "$FIX/text.txt"; }
t_regex_split() { ga '{ n = split($0, a, /[ ,.;:!]+/); print n, a[1], a[n - 1]; if (match($0, /[0-9]+/, m)) print "num", m[0] }' "$FIX/text.txt"; }
t_sort() { ga '{ a[NR] = $1 } END { n = asort(a); for (i = 1; i <= n; i += 50) print i, a[i] }' "$FIX/numbers.txt"; }
t_big() { ga '{ s += $4; c[substr($5, 1, 1)]++ } END { print s, NR; for (k in c) t += c[k]; print t }' "$FIX/big.txt"; }
t_printf() { ga 'BEGIN { printf "%5d|%-6s|%x|%o|%08.3f|%e|%c|%%|%i\n", 42, "ab", 255, 8, 3.14159, 12345.678, 65, -3 }'; }
t_getline_system() { ga 'BEGIN { while (("echo a b c" | getline l) > 0) print "got", l; r = system("exit 3"); print "rc", r; print strftime("%Y-%m-%d %H:%M:%S", 0, 1) }'; }
t_exit() { ga 'BEGIN { exit 4 }'; }

case_main "$@"
