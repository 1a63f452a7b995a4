#!/bin/bash
# sqlite3 running a script (create, insert, index, aggregates, update, delete), native vs lemu.
. "$(dirname "$0")/../lib/case.sh"
suite_requires() { command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; return 1; }; }

t_script_memory() { $E /usr/bin/sqlite3 :memory: <"$FIX/script.sql"; }
t_script_file() { $E /usr/bin/sqlite3 db.sqlite <"$FIX/script.sql"; sqlite3 db.sqlite 'PRAGMA integrity_check; SELECT count(*), sum(salary) FROM emp;'; }
t_read_native_db() { sqlite3 db.sqlite <"$FIX/script.sql" >/dev/null; $E /usr/bin/sqlite3 -header -column db.sqlite 'SELECT dept, count(*) AS n, max(salary) AS top FROM emp GROUP BY dept ORDER BY dept;'; }
t_csv_import() { $E /usr/bin/sqlite3 :memory: -cmd '.mode csv' -cmd ".import $FIX/table.csv t" 'SELECT dept, count(*), sum(salary) FROM t GROUP BY dept ORDER BY 1;'; }
t_error() { $E /usr/bin/sqlite3 :memory: 'SELECT 6 * 7;' 'SELECT * FROM nosuchtable;' 'SELECT 1;' 2>/dev/null; echo "rc=$?"; }

case_main "$@"
