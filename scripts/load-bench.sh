#!/usr/bin/env bash
# Compares two presso builds with "presso load" on this machine, side by side in one run:
# each run starts a build on fresh data with the server pinned to core 0 (taskset -c 0) and the
# load generator to core 1, runs the load, stops it; base and new take turns (ABBA), all on loopback.
#
#   scripts/load-bench.sh --base BIN --new BIN [options] RUNS [load flags…]
#   scripts/load-bench.sh [RUNS] [load flags…]      the three set-ups instead (scripts/load-setups.sh)
#
# Options:
#   --load BIN    the load generator (default: --new's own "presso load"); one generator for both
#   --tmpfs       the servers' data on /dev/shm (default: on disk, under /tmp)
#   --overload    find each build's peak (the offered rates of --ramp, 10 s each, until it finishes
#                 less than 90% of what is offered), then offer 2x its peak for 10 s, RUNS times
#   --ramp LIST   the peak search's offered rates (default 100,200,300,400,500,600,800,1000,1200,1500)
#   --keep DIR    keep each run's server log and load output under DIR
#
# The load flags default to --setup --customers 1500 --rate 100 --duration 15s --barista-think 50ms
# --cancel-ratio 0.1; --baristas defaults to a tenth of the rate (at least 20), and above 800/s the
# orders are spread over more bars (each with its own QR code), unless --baristas or --bars is given.
#
# Per run and build it prints, and at the end gives the medians of and new/base for: finished
# orders/s (over the whole window, and during the arrivals), server CPU ms per finished order
# (utime+stime of /proc/PID/stat over the window, read by presso load --server-pid), complete →
# customer sees ready p50/p99 (sampled: the customers who watch their own stream, see presso load
# -h --watch-rate), errors, invariant violations, the server's idle RSS (3 s after /readyz, before
# the run) and peak RSS (sampled every 100 ms in the window), and the generator's own CPU ms per order.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ${1:-} != --base && ${1:-} != --new ]]; then
	exec scripts/load-setups.sh "$@"
fi

base="" new="" load="" tmpfs=0 overload=0 keep="" ramp=100,200,300,400,500,600,800,1000,1200,1500
while [[ $# -gt 0 ]]; do
	case $1 in
	--base) base=$2; shift 2 ;;
	--new) new=$2; shift 2 ;;
	--load) load=$2; shift 2 ;;
	--tmpfs) tmpfs=1; shift ;;
	--overload) overload=1; shift ;;
	--ramp) ramp=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	-*) echo "load-bench: unknown option $1 (options come before RUNS)" >&2; exit 2 ;;
	*) break ;;
	esac
done
runs=${1:?give RUNS after the options}
shift
userargs=("$@")
load=${load:-$new}
for b in "$base" "$new" "$load"; do
	[[ -x $b ]] || { echo "load-bench: $b is not an executable (give --base BIN --new BIN)" >&2; exit 2; }
done
command -v taskset >/dev/null || { echo "load-bench: needs taskset (util-linux)" >&2; exit 2; }
[[ $(nproc) -ge 2 ]] || { echo "load-bench: needs 2 cores to pin the server and the generator apart" >&2; exit 2; }

work=$(mktemp -d /tmp/presso-bench.XXXX)
datadir=$work
[[ $tmpfs == 1 ]] && datadir=$(mktemp -d /dev/shm/presso-bench.XXXX)
server=""
cleanup() {
	[[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	[[ -n $keep ]] && mkdir -p "$keep" && cp -r "$work"/. "$keep"/
	rm -rf "$work"
	[[ $datadir != "$work" ]] && rm -rf "$datadir"
	return 0
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# server_flags BIN: what lets one loopback address act as a whole venue, each flag only if BIN
# knows it (an older build exits on a flag it does not know).
server_flags() {
	local help f
	help=$("$1" -h 2>&1 || true)
	echo --dev --log-level warn
	for f in "signin-rate 1000000" "max-conns-per-addr 100000" "max-streams-per-addr 100000" "name-orders-per-addr 100000"; do
		if grep -qE "^  -${f% *}( |$)" <<<"$help"; then echo "--${f% *} ${f#* }"; fi
	done
}

# given NAME: whether the user's load flags set --NAME.
given() { local a; for a in "${userargs[@]}"; do [[ $a == --$1 || $a == -$1 || $a == --$1=* || $a == -$1=* ]] && return 0; done; return 1; }

# scale RATE: --baristas and --bars for an offered rate, unless the user chose them.
scale() {
	local rate=$1 nbars total i out=()
	nbars=$(( (${rate%.*} + 799) / 800 ))
	[[ $nbars -lt 1 ]] && nbars=1
	given bars && nbars=1
	if ! given bars && [[ $nbars -gt 1 ]]; then
		local list=demo
		for i in $(seq 2 "$nbars"); do list+=,load-$i; done
		out+=(--bars "$list")
	fi
	total=$(( (${rate%.*} + 9) / 10 ))
	[[ $total -lt 20 ]] && total=20
	given baristas || out+=(--baristas $(( (total + nbars - 1) / nbars )))
	echo "${out[@]}"
}

# the rate the user's flags offer (the last --rate), 100 by default.
user_rate() {
	local r=100 i
	for ((i = 0; i < ${#userargs[@]}; i++)); do
		case ${userargs[i]} in
		--rate | -rate) r=${userargs[i + 1]} ;;
		--rate=* | -rate=*) r=${userargs[i]#*=} ;;
		esac
	done
	echo "$r"
}

# one LABEL BIN TAG [load flags…]: one run of a build; its output goes to $work/LABEL-TAG.
one() {
	local label=$1 bin=$2 tag=$3
	shift 3
	local out=$work/$label-$tag data=$datadir/data-$label-$tag p
	mkdir -p "$out"
	p=$(port)
	# shellcheck disable=SC2046
	taskset -c 0 "$bin" $(server_flags "$bin") --addr "127.0.0.1:$p" --data "$data" >"$out/server.log" 2>&1 &
	server=$!
	until curl -sf "http://127.0.0.1:$p/readyz" >/dev/null; do
		kill -0 "$server" 2>/dev/null || { echo "load-bench: $bin did not start:" >&2; cat "$out/server.log" >&2; exit 1; }
		sleep 0.2
	done
	sleep 3 # idle: what a restarted server holds before anyone comes
	awk '/^VmRSS:/ {print $2}' "/proc/$server/status" >"$out/idle-kb"
	taskset -c 1 "$load" load --url "http://127.0.0.1:$p" --data "$data" --server-pid "$server" \
		--setup --customers 1500 --rate 100 --duration 15s --barista-think 50ms --cancel-ratio 0.1 "$@" >"$out/load.txt" 2>&1 || true
	kill "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
	server=""
	rm -rf "$data"
	python3 "$work/figures.py" line "$label" "$tag" "$out"
}

# during LABEL TAG: the finished orders/s during the arrivals of that run.
during() { sed -n 's/^during arrivals: .* \([0-9.]*\) orders\/s$/\1/p' "$work/$1-$2/load.txt"; }

cat >"$work/figures.py" <<'PY'
import glob, os, re, statistics, sys

def figures(out):
    t = open(os.path.join(out, "load.txt")).read()
    def num(pat, default=float("nan")):
        m = re.search(pat, t, re.M)
        return float(m.group(1)) if m else default
    f = {
        "finished/s": num(r"([\d.]+) orders/s finished over"),
        "during/s": num(r"^during arrivals: .* ([\d.]+) orders/s$"),
        "server ms/order": num(r"^server: .*cpu_ms_per_order=([\d.]+)"),
        "server cores": num(r"^server: .* cores=([\d.]+)"),
        "idle MB": float(open(os.path.join(out, "idle-kb")).read() or "nan") / 1024,
        "peak MB": num(r"rss_peak_mb=([\d.]+)"),
        "load ms/order": num(r"^cpu: load_ms_per_order=([\d.]+)"),
        "load cores": num(r"load_cores=([\d.]+)"),
        "errors": 0.0 if re.search(r"^errors: none", t, re.M) else num(r"^errors: (\d+)"),
        "violations": num(r"invariants .*: (\d+) violations"),
        "ready p50": float("nan"), "ready p99": float("nan"),
    }
    m = re.search(r"^  complete → customer sees ready +(\d+) +(\S+) +(\S+) +(\S+)", t, re.M)
    if m and m.group(1) != "0":
        f["ready p50"], f["ready p99"] = float(m.group(2).rstrip("ms")), float(m.group(4).rstrip("ms"))
    return f

COLS = ["finished/s", "during/s", "server ms/order", "ready p50", "ready p99", "errors", "violations",
        "idle MB", "peak MB", "load ms/order", "load cores"]

def fmt(v):
    if v != v:
        return "-"
    if v == int(v):
        return f"{v:.0f}"
    return f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"

def line(label, tag, out):
    f = figures(out)
    print(f"{label:4} {tag:>8}  " + "  ".join(f"{c} {fmt(f[c])}" for c in COLS), flush=True)

def table(work, prefix):
    rows = {}
    for out in sorted(glob.glob(os.path.join(work, "*-" + prefix + "*"))):
        label = os.path.basename(out).split("-", 1)[0]
        rows.setdefault(label, []).append(figures(out))
    if not rows:
        return
    med = {l: {c: statistics.median([r[c] for r in rs if r[c] == r[c]] or [float("nan")]) for c in COLS} for l, rs in rows.items()}
    print(f"\nmedians of {max(len(r) for r in rows.values())} runs ({prefix}); ready = complete → customer sees ready in ms (sampled), MB = server RSS")
    print(f'{"":18}' + "".join(f"{c:>16}" for c in ("base", "new", "new/base")))
    for c in COLS:
        b, n = med.get("base", {}).get(c, float("nan")), med.get("new", {}).get(c, float("nan"))
        ratio = n / b if b == b and n == n and b != 0 else float("nan")
        print(f"{c:18}{fmt(b):>16}{fmt(n):>16}{f'{ratio:.2f}x' if ratio == ratio else '-':>16}")

if sys.argv[1] == "line":
    line(*sys.argv[2:5])
else:
    table(sys.argv[2], sys.argv[3])
PY

echo "load-bench: base $base, new $new, load generator $load; data in $datadir; server on core 0, load on core 1"
echo "  base server: $(server_flags "$base" | tr '\n' ' ')"
echo "  new server:  $(server_flags "$new" | tr '\n' ' ')"

if [[ $overload == 0 ]]; then
	# shellcheck disable=SC2207
	extra=($(scale "$(user_rate)"))
	for n in $(seq 1 "$runs"); do
		order="base new"
		[[ $((n % 2)) == 0 ]] && order="new base"
		for label in $order; do
			bin=$base
			[[ $label == new ]] && bin=$new
			one "$label" "$bin" "run$n" "${extra[@]}" "${userargs[@]}"
		done
	done
	python3 "$work/figures.py" table "$work" run
	exit 0
fi

# Overload: each build's peak over the ramp, then 2x its peak.
declare -A peak=([base]=0 [new]=0) done=([base]=0 [new]=0)
step=0
for rate in ${ramp//,/ }; do
	step=$((step + 1))
	order="base new"
	[[ $((step % 2)) == 0 ]] && order="new base"
	for label in $order; do
		[[ ${done[$label]} == 1 ]] && continue
		bin=$base
		[[ $label == new ]] && bin=$new
		# shellcheck disable=SC2207
		extra=($(scale "$rate"))
		one "$label" "$bin" "ramp$rate" "${extra[@]}" "${userargs[@]}" --rate "$rate" --customers $((${rate%.*} * 10)) --duration 10s --drain 60s
		got=$(during "$label" "ramp$rate")
		peak[$label]=$(python3 -c "print(max(${peak[$label]}, ${got:-0}))")
		if python3 -c "import sys; sys.exit(0 if ${got:-0} < 0.9 * $rate else 1)"; then done[$label]=1; fi
	done
	[[ ${done[base]} == 1 && ${done[new]} == 1 ]] && break
done
echo
echo "peaks (finished orders/s during the arrivals): base ${peak[base]}, new ${peak[new]}"
for n in $(seq 1 "$runs"); do
	order="base new"
	[[ $((n % 2)) == 0 ]] && order="new base"
	for label in $order; do
		bin=$base
		[[ $label == new ]] && bin=$new
		rate=$(python3 -c "print(round(2 * ${peak[$label]}))")
		# shellcheck disable=SC2207
		extra=($(scale "$rate"))
		one "$label" "$bin" "over$n" "${extra[@]}" "${userargs[@]}" --rate "$rate" --customers $((rate * 10)) --duration 10s --drain 60s
		got=$(during "$label" "over$n")
		echo "     $label at 2x its peak ($rate/s offered): ${got:-?} finished/s during the arrivals = $(python3 -c "print(f'{${got:-0} / max(${peak[$label]}, 1e-9):.0%}')") of its peak"
	done
done
python3 "$work/figures.py" table "$work" over
