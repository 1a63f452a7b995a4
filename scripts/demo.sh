# A small script for `make run`: busybox sh itself runs under lemu-x86_64 (its applets too,
# as far as the emulator follows execve).
echo "hello from busybox sh under lemu ($(uname -s) $(uname -m))"
i=1; f=1
while [ $i -le 20 ]; do f=$((f * i)); i=$((i + 1)); done
echo "20! = $f"
for w in emulate translate execute; do printf '%-10s %s\n' "$w" "$(echo "$w" | rev)"; done
seq 1 1000 | awk '{ s += $1 } END { print "sum 1..1000 =", s }'
echo "lemu" | sha256sum
