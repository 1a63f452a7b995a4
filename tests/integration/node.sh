#!/bin/bash
# node (V8): a JIT-compiling, multi-threaded guest, native vs lemu-x86_64. V8 writes, patches and
# re-protects machine code all the time, so this exercises self-modifying-code invalidation,
# mprotect bookkeeping and threads together. Skipped where node is not installed.
. "$(dirname "$0")/../lib/case.sh"
NODE=$(command -v node || true)
suite_requires() {
	[ -n "$NODE" ] || { echo "node is not installed"; return 1; }
}
js() { $E "$NODE" -e "$1"; }

t_hot_loop() { js 'let s = 0; for (let i = 0; i < 3e6; i++) s += (i * i) % 7; console.log(s)'; }
t_recursion() { js 'function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) } console.log(fib(25))'; }
t_collections() {
	js 'const m = new Map(); for (let i = 0; i < 200000; i++) m.set("k" + (i % 5000), i);
	    console.log(m.size, [...m.values()].reduce((a, b) => a + b, 0));
	    console.log([5, 3, 9, 1].sort((a, b) => a - b).join(","), JSON.stringify({ a: [1, { b: 2 }] }))'
}
t_crypto() {
	js 'const c = require("crypto"); const h = c.createHash("sha256");
	    for (let i = 0; i < 20000; i++) h.update("x" + i); console.log(h.digest("hex"));
	    console.log(c.createHmac("sha1", "key").update("data").digest("base64"))'
}
t_deopt() {
	# the same function optimised for numbers, then deoptimised by strings and objects
	js 'function add(a, b) { return a + b } let s = 0; for (let i = 0; i < 200000; i++) s = add(s, i);
	    console.log(s, add("a", "b"), add([1], {}), add(1.5, 2)); for (let i = 0; i < 200000; i++) s = add(s, 1);
	    console.log(s)'
}
t_worker_threads() {
	js 'const { Worker } = require("worker_threads");
	    const w = new Worker("const { parentPort } = require(\"worker_threads\"); let s = 0; for (let i = 0; i < 1e6; i++) s += i; parentPort.postMessage(s)", { eval: true });
	    w.on("message", (m) => { console.log("worker says", m); })'
}
t_fs_and_json() {
	js 'const fs = require("fs"); fs.writeFileSync("o.json", JSON.stringify({ n: [1, 2, 3], s: "x".repeat(10) }));
	    const d = JSON.parse(fs.readFileSync("o.json", "utf8")); console.log(d.n.map((x) => x * 2), d.s.length)'
}

case_main "$@"
