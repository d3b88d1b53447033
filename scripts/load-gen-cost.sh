#!/usr/bin/env bash
# What "presso load" itself costs: it runs against a stub of presso (load/stub_test.go: every call
# answered at once from memory, with presso's events) pinned to core 0, the generator pinned to
# core 1, and prints the generator's CPU time per finished order at each offered rate: as the load
# command reports it, and as measured from outside (the whole process's CPU time, from /usr/bin/time,
# less what it had used by its "presso load:" line, when the arrivals start), which also works for
# a generator too old to report it.
#
#   scripts/load-gen-cost.sh [--load BIN] [RATES] [load flags…]     RATES default: 300,1000
#
# Each rate runs 10 s with a tenth of the rate as robot baristas (50 ms a drink) and the load
# command's defaults otherwise (--watch-rate 100: up to 100 customers a second watch their own
# stream). BIN defaults to a build of this tree.
set -euo pipefail
cd "$(dirname "$0")/.."
load=""
if [[ ${1:-} == --load ]]; then load=$2; shift 2; fi
rates=300,1000
if [[ ${1:-} =~ ^[0-9,]+$ ]]; then rates=$1; shift; fi
command -v taskset >/dev/null || { echo "load-gen-cost: needs taskset (util-linux)" >&2; exit 2; }
work=$(mktemp -d /tmp/presso-gen-cost.XXXX)
stub=""
cleanup() {
	[[ -n $stub ]] && kill "$stub" 2>/dev/null && wait "$stub" 2>/dev/null
	rm -rf "$work"
	return 0
}
trap cleanup EXIT
if [[ -z $load ]]; then
	go build -o "$work/presso" ./cmd/presso
	load=$work/presso
fi
go test -c -o "$work/load.test" ./load
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PRESSO_LOAD_STUB_ADDR=127.0.0.1:$port taskset -c 0 "$work/load.test" -test.run '^TestLoadStub$' -test.timeout 0 >"$work/stub.log" 2>&1 &
stub=$!
until curl -sf "http://127.0.0.1:$port/api/events/demo" >/dev/null; do
	kill -0 "$stub" 2>/dev/null || { cat "$work/stub.log" >&2; exit 1; }
	sleep 0.2
done
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
for rate in ${rates//,/ }; do
	baristas=$(((rate + 9) / 10))
	out=$work/load-$rate.txt
	/usr/bin/time -f '%U %S' -o "$work/time-$rate" taskset -c 1 "$load" load --url "http://127.0.0.1:$port" --setup \
		--rate "$rate" --customers $((rate * 10)) --duration 10s --baristas $((baristas < 20 ? 20 : baristas)) \
		--barista-think 50ms --cancel-ratio 0.1 "$@" >"$out" 2>&1 &
	timer=$!
	until gen=$(pgrep -P "$timer") || ! kill -0 "$timer" 2>/dev/null; do sleep 0.01; done
	until grep -q '^presso load:' "$out" || ! kill -0 "$timer" 2>/dev/null; do sleep 0.05; done
	before=$(ticks "$gen")
	wait "$timer" || true
	echo "offered $rate/s: $(grep -E '^throughput:' "$out")"
	grep -E '^(during arrivals|sampled|cpu|errors):' "$out" | sed 's/^/  /'
	read -r user sys <"$work/time-$rate"
	python3 - "$out" "$user" "$sys" "$before" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"completed=(\d+) cancelled=(\d+) timed_out=(\d+)", t)
finished = sum(int(x) for x in m.groups()) if m else 0
cpu = float(sys.argv[2]) + float(sys.argv[3]) - float(sys.argv[4]) / 100
print(f"  from outside: {cpu:.2f} s of CPU after the set-up, {1000 * cpu / max(finished, 1):.3f} ms per finished order ({finished})")
PY
done
