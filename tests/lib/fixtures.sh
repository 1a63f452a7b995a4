#!/bin/bash
# Make the integration tests' read-only input files in DIR (tests/lib/fixtures.sh DIR).
# Everything is deterministic (fixed seeds, fixed dates), made natively with host tools.
set -eu
dir=$1
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
export LC_ALL=C TZ=UTC

# A paragraph of prose, lines of varying length.
cat >text.txt <<'EOF'
The quick brown fox jumps over the lazy dog.
Pack my box with five dozen liquor jugs!
How vexingly quick daft zebras jump;
	a tab-indented line, with trailing spaces   
Sphinx of black quartz, judge my vow.
The five boxing wizards jump quickly.

Jackdaws love my big sphinx of quartz: 1234567890
ALL CAPS LINE AND digits 42 and 0x2a and -17
the end
EOF

# Words with duplicates and mixed case, for sort/uniq/comm.
awk 'BEGIN {
	split("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega Alpha BETA Gamma", w, " ");
	s = 12345;
	for (i = 0; i < 500; i++) { s = (s * 1103515245 + 12345) % 2147483648; print w[int(s / 65536) % 27 + 1]; }
}' >words.txt
head -n 20 words.txt | sort -u >set1.txt
sed -n 15,40p words.txt | sort -u >set2.txt

# Numbers, some negative, some with leading zeros and decimals.
awk 'BEGIN { s = 7; for (i = 0; i < 300; i++) { s = (s * 69069 + 1) % 4294967296; printf "%d\n", (s % 200001) - 100000; } }' >numbers.txt
printf '3.5\n-2.25\n010\n1e3\n0.001\n-0\n7\n' >floats.txt

# CSV table: id,name,dept,salary.
awk 'BEGIN {
	split("ann bob cy dee eve fay gus hal ida jon", n, " ");
	split("eng ops sales", d, " ");
	s = 99;
	print "id,name,dept,salary";
	for (i = 1; i <= 60; i++) { s = (s * 1103515245 + 12345) % 2147483648;
		printf "%d,%s%d,%s,%d\n", i, n[(i % 10) + 1], i, d[(s % 3) + 1], 30000 + s % 70000; }
}' >table.csv

# ~1 MB of compressible text and 256 KB of incompressible bytes.
awk 'BEGIN { s = 1; for (i = 0; i < 24000; i++) { s = (s * 1103515245 + 12345) % 2147483648;
	printf "line %06d value %10d %s\n", i, s, substr("abcdefghijklmnopqrstuvwxyz", s % 20 + 1, 6); } }' >big.txt
awk 'BEGIN { s = 42; for (i = 0; i < 262144; i++) { s = (s * 1103515245 + 12345) % 2147483648;
	printf "%c", int(s / 65536) % 256; } }' >random.bin
printf 'hello\000world\001\002\003\377\376 binary\n' >small.bin

# A directory tree with fixed dates and modes, for ls/find/du/stat/tar.
mkdir -p tree/a/b/c tree/d tree/e
printf 'one\n' >tree/one.txt
printf 'two two\n' >tree/a/two.txt
head -c 5000 big.txt >tree/a/b/five-k.dat
head -c 20000 random.bin >tree/a/b/c/twenty-k.bin
printf '#!/bin/sh\necho hi\n' >tree/d/script.sh
chmod 755 tree/d/script.sh
: >tree/e/empty
ln -s ../one.txt tree/d/link-to-one
chmod 640 tree/a/two.txt
find tree -exec touch -h -d '2021-03-04 05:06:07' {} +
touch -h -d '2019-12-31 23:59:59' tree/a/b/five-k.dat

# Shell scripts exercising the shell itself.
cat >script.sh <<'EOF'
# functions, loops, arithmetic, case, string ops, here-docs
fib() { a=0; b=1; i=0; while [ $i -lt $1 ]; do t=$((a + b)); a=$b; b=$t; i=$((i + 1)); done; echo $a; }
for n in 1 5 10 20 40 60 90; do printf 'fib(%d)=%s\n' $n "$(fib $n)"; done
s=0; i=0; while [ $i -lt 500 ]; do s=$((s + i * i % 7)); i=$((i + 1)); done; echo "sum=$s"
echo $(( (1 << 40) / 3 )) $(( -7 / 2 )) $(( -7 % 3 )) $(( 0x7fffffffffffffff + 1 )) $(( 6 ** 3 ))
for w in apple banana cherry; do case $w in a*) echo "A:$w";; *an*) echo "AN:$w";; *) echo "other:$w";; esac; done
v="hello world"; echo "${#v} ${v%world} ${v#hello } ${v/o/0} ${v:3:4}"
set -- x y z; echo "$# $2 $*"
cat <<END
here-doc: $v $((2 + 3))
END
f() { return 3; }; f; echo "rc=$?"
if [ -d /nonexistent ]; then echo yes; else echo no; fi
[ "abc" \< "abd" ] && echo lt
x=5; while :; do x=$((x - 1)); [ $x -eq 2 ] && break; done; echo "x=$x"
echo "$(echo nested $(echo subst))"
exit 7
EOF

# SQL script for sqlite3.
cat >script.sql <<'EOF'
CREATE TABLE emp(id INTEGER PRIMARY KEY, name TEXT, dept TEXT, salary INTEGER);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
INSERT INTO emp SELECT i, 'name' || i, CASE i % 3 WHEN 0 THEN 'eng' WHEN 1 THEN 'ops' ELSE 'sales' END,
	30000 + (i * 7919) % 70000 FROM n;
CREATE INDEX emp_dept ON emp(dept);
SELECT dept, count(*), sum(salary), min(salary), max(salary), round(avg(salary), 3) FROM emp GROUP BY dept ORDER BY dept;
SELECT name, salary FROM emp WHERE salary > 99000 ORDER BY salary DESC, id LIMIT 5;
UPDATE emp SET salary = salary * 2 WHERE dept = 'ops' AND id < 50;
DELETE FROM emp WHERE id % 10 = 0;
SELECT count(*), total(salary), group_concat(id, '+') FROM (SELECT * FROM emp WHERE id < 30);
SELECT printf('%.6f', 1.0 / 7), 2 * 3.5, 9223372036854775807, -9223372036854775808, 1e308 * 10, hex('lemu');
SELECT upper('abc'), length('héllo'), substr('emulator', 2, 4), replace('a-b-c', '-', '+'), instr('banana', 'nan');
SELECT e.dept, (SELECT count(*) FROM emp e2 WHERE e2.dept = e.dept AND e2.salary > e.salary) AS rank
	FROM emp e WHERE id IN (1, 2, 3) ORDER BY id;
EOF
