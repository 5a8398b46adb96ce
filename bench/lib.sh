# Shell helpers the benchmark scripts share; sourced, not run (pg_workers.sh
# has a wait_drained of its own, for PostgreSQL). A script sets
# `log` (its results file) before calling `say`.

# A free 127.0.0.1 port (for servers that cannot pick their own).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# A line to stdout and the results file.
say() { echo "$*" | tee -a "$log"; }
# user + system CPU of a process, in clock ticks (every thread; field 2, the
# name, holds no space for the processes read here).
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
now_ns() { date +%s%N; }
# Arithmetic in floating point: calc "1 / 3".
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
# key=value from a delivery_bench line: kv "$line" rate.
kv() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<< "$1" | head -n 1; }
# Waits until the SQLite store DB has nothing pending (status 0), reading it
# as another process would: the due index alone, every 20 ms.
wait_drained() {  # DB
  python3 - "$1" <<'EOF'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
while db.execute("SELECT count(*) FROM deliveries INDEXED BY deliveries_due WHERE status = 0").fetchone()[0]:
    time.sleep(0.02)
EOF
}
