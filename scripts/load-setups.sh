#!/usr/bin/env bash
# Measures presso with "presso load" on this machine in three set-ups, each
# run RUNS times on fresh data, all on loopback:
#   embedded   one process, SQLite + embedded NATS
#   pg-1       one replica on PostgreSQL + a NATS server
#   pg-2       two replicas on PostgreSQL + a NATS server, robots spread over both
# Prints each run's summary lines and a table of medians.
#   scripts/load-setups.sh [RUNS] [load flags…]   (also: scripts/load-bench.sh [RUNS] [load flags…])
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true
loadargs=(--setup --customers 1500 --rate 100 --duration 15s --baristas 20 --barista-think 50ms --cancel-ratio 0.1 "$@")
work=$(mktemp -d /tmp/presso-bench.XXXX)
chmod 755 "$work" # PostgreSQL runs as its own user and must reach its directory
# One loopback address stands for the whole venue: lift the per-address caps.
limits="--max-conns-per-addr 100000 --max-streams-per-addr 100000 --name-orders-per-addr 100000"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	PRESSO_PG_DIR=$work/pg .ci/postgres.sh stop || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/presso" ./cmd/presso
go build -o "$work/nats-server" github.com/nats-io/nats-server/v2
eval "$(PRESSO_PG_DIR=$work/pg .ci/postgres.sh start)"
pgbase=${PRESSO_TEST_POSTGRES_URL%/postgres*}

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ready() { until curl -sf "$1/readyz" >/dev/null; do sleep 0.2; done; }
stop_all() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; done
	pids=()
}

run_one() { # name run
	local name=$1 n=$2 urls="" db
	local dir=$work/$name-$n
	mkdir -p "$dir"
	case $name in
	embedded)
		local p; p=$(port)
		"$work/presso" --dev --addr 127.0.0.1:$p --data "$dir/data" --log-level warn --signin-rate 100000 $limits >"$dir/presso.log" 2>&1 &
		pids+=($!)
		urls=http://127.0.0.1:$p
		db=$dir/data/presso.db
		;;
	pg-*)
		local replicas=${name#pg-} np dbname
		dbname=bench_${n}_${replicas}
		psql -q "$PRESSO_TEST_POSTGRES_URL" -c "CREATE DATABASE $dbname"
		db="$pgbase/$dbname?sslmode=disable"
		np=$(port)
		"$work/nats-server" -p "$np" -js -sd "$dir/nats" >"$dir/nats.log" 2>&1 &
		pids+=($!)
		for i in $(seq 1 "$replicas"); do
			local p; p=$(port)
			"$work/presso" --dev --addr 127.0.0.1:$p --data "$dir/r$i" --db "$db" --nats nats://127.0.0.1:$np --log-level warn --signin-rate 100000 $limits >"$dir/r$i.log" 2>&1 &
			pids+=($!)
			urls=${urls:+$urls,}http://127.0.0.1:$p
		done
		;;
	esac
	for u in ${urls//,/ }; do ready "$u"; done
	"$work/presso" load --url "$urls" --db "$db" "${loadargs[@]}" >"$dir/load.txt" 2>&1 || true
	stop_all
	grep -E '^(orders:|throughput:|  scan|  submit|  complete|errors:| +[0-9]+  (GET|POST|PUT|PATCH|DELETE) |invariants)' "$dir/load.txt" | sed "s/^/$name #$n  /"
}

for n in $(seq 1 "$runs"); do
	for name in embedded pg-1 pg-2; do
		run_one "$name" "$n"
	done
done | tee "$work/all.txt"

echo
echo "medians over $runs runs (orders/s finished; latency p50/p95/p99 in ms)"
python3 - "$work/all.txt" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r'(\S+) #\d+\s+(.*)', line)
    if not m: continue
    name, rest = m.groups()
    r = rows.setdefault(name, {"fin": [], "submit": [], "ready": [], "viol": []})
    if rest.startswith("throughput:"):
        r["fin"].append(float(re.search(r'([\d.]+) orders/s finished', rest).group(1)))
    elif rest.strip().startswith("submit"):
        r["submit"].append([float(x) for x in re.findall(r'([\d.]+)ms', rest)[:3]])
    elif rest.strip().startswith("complete"):
        r["ready"].append([float(x) for x in re.findall(r'([\d.]+)ms', rest)[:3]])
    elif rest.startswith("invariants"):
        r["viol"].append(int(re.search(r'(\d+) violations', rest).group(1)))
med = lambda xs: statistics.median(xs) if xs else float("nan")
base = med(rows.get("embedded", {}).get("fin", []))
print(f'{"set-up":10} {"orders/s":>9} {"vs embedded":>12} {"submit→number p50/p95/p99":>28} {"complete→ready p50/p95/p99":>28} {"violations":>10}')
for name in ["embedded", "pg-1", "pg-2"]:
    r = rows.get(name)
    if not r: continue
    f = med(r["fin"])
    s = "/".join(f'{med([x[i] for x in r["submit"]]):.1f}' for i in range(3))
    c = "/".join(f'{med([x[i] for x in r["ready"]]):.1f}' for i in range(3))
    print(f'{name:10} {f:9.1f} {f/base:11.2f}x {s:>28} {c:>28} {sum(r["viol"]):>10}')
PY
