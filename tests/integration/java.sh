#!/bin/bash
# java (OpenJDK): a JIT that patches its code cache from several threads and turns SIGSEGV into
# NullPointerException / StackOverflowError, native vs lemu-x86_64. Skipped without a JDK.
. "$(dirname "$0")/../lib/case.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
JAVA=$(command -v java && readlink -f "$(command -v java)" || true)
JAVA=${JAVA##*$'\n'}
suite_requires() {
	command -v javac >/dev/null && [ -n "$JAVA" ] || { echo "no JDK (java, javac)"; return 1; }
}

t_exceptions_threads() {
	javac -d . "$HERE/java/Exceptions.java" || return 1
	$E "$JAVA" -cp . Exceptions
}
t_version_banner() {
	# the banner goes to stderr; compare what the VM reports about itself on stdout
	$E "$JAVA" -XshowSettings:properties -version 2>&1 | grep -E '^ +(java.version|os.arch|java.vm.name) '
}

case_main "$@"
