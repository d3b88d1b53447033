#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL server for presso's tests.
#
#   eval "$(.ci/postgres.sh start)"   # prints export lines for the shell
#   go test ./store/...
#   .ci/postgres.sh stop
#   .ci/postgres.sh restart           # restart the running server in place
#
# start prints:
#   export PRESSO_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable
#   export PRESSO_PG_PID=…   export PRESSO_PG_DATA=…   export PRESSO_PG_DIR=…
#
# The server listens on a free port on 127.0.0.1 only, with trust
# authentication, fsync off and everything under one temporary directory
# (PRESSO_PG_DIR, default ${TMPDIR:-/tmp}/presso-pg). Running start again
# while it runs prints the same exports; stop removes the directory. As root
# (CI), the server runs as the system user presso-pg, created if missing,
# because PostgreSQL refuses to run as root. Without server binaries it
# installs them with apt-get. Quiet on success; errors go to stderr.
set -euo pipefail

base=${PRESSO_PG_DIR:-${TMPDIR:-/tmp}/presso-pg}
data=$base/data
sock=$base/sock
envfile=$base/env
log=$base/postgres.log
pguser=presso-pg

die() {
	echo "postgres.sh: $*" >&2
	exit 1
}

# bindir finds a directory holding initdb, pg_ctl and postgres.
bindir() {
	local d
	for d in ${PG_BINDIR:-} /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) \
		"$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/x)")" /usr/local/bin; do
		if [[ -n $d && -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

install_server() {
	command -v apt-get >/dev/null || die "no PostgreSQL server binaries and no apt-get to install them"
	[[ $(id -u) == 0 ]] || die "no PostgreSQL server binaries; run as root to install them with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq postgresql-15 >/dev/null 2>&1 || apt-get install -y -qq postgresql >/dev/null ||
		die "apt-get could not install postgresql"
}

# as runs a command as the server's owner: presso-pg when root, else us.
as() {
	if [[ $(id -u) == 0 ]]; then
		runuser -u "$pguser" -- "$@"
	else
		"$@"
	fi
}

running() {
	[[ -f $data/postmaster.pid ]] && as "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1
}

print_env() {
	cat "$envfile"
}

# free_port picks a port nothing on 127.0.0.1 answers on.
free_port() {
	local p i
	for i in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}

start() {
	bin=$(bindir) || {
		install_server
		bin=$(bindir) || die "PostgreSQL server binaries still missing after apt-get"
	}
	if running && [[ -f $envfile ]]; then
		print_env
		return 0
	fi
	# A leftover from a crash, or a server whose exports were lost: start over.
	if running; then
		as "$bin/pg_ctl" stop -D "$data" -m immediate -w -s >/dev/null 2>&1 || true
	fi
	rm -rf "$base"
	mkdir -p "$base"
	chmod 755 "$base"
	if [[ $(id -u) == 0 ]]; then
		id -u "$pguser" >/dev/null 2>&1 ||
			useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$pguser" ||
			die "cannot create user $pguser"
		mkdir -p "$data" "$sock"
		chown "$pguser" "$data" "$sock"
		touch "$log"
		chown "$pguser" "$log"
	else
		mkdir -p "$data" "$sock"
	fi
	chmod 700 "$data"
	as "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$base/initdb.log" 2>&1 ||
		die "initdb failed: $(tail -n 5 "$base/initdb.log")"
	local port try
	for try in 1 2 3 4 5; do
		port=$(free_port)
		if as "$bin/pg_ctl" start -D "$data" -l "$log" -w -t 30 -s \
			-o "-c listen_addresses=127.0.0.1 -p $port -k $sock -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
			>/dev/null 2>&1; then
			break
		fi
		port=
	done
	[[ -n $port ]] || die "postgres did not start: $(tail -n 5 "$log")"
	local pid
	pid=$(head -n 1 "$data/postmaster.pid")
	cat >"$envfile" <<EOF
export PRESSO_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable'
export PRESSO_PG_PID=$pid
export PRESSO_PG_DATA='$data'
export PRESSO_PG_DIR='$base'
EOF
	print_env
}

stop() {
	# Prefer the data dir start reported, so a changed TMPDIR still works.
	if [[ -n ${PRESSO_PG_DATA:-} ]]; then
		data=$PRESSO_PG_DATA
		base=$(dirname "$data")
	fi
	[[ -d $base ]] || return 0
	if [[ -f $data/postmaster.pid ]]; then
		bin=$(bindir) || die "PostgreSQL server binaries missing: cannot run pg_ctl stop"
		if ! as "$bin/pg_ctl" stop -D "$data" -m fast -w -t 30 -s >/dev/null 2>&1; then
			# Not running (stale pid file) is fine; a live server that would
			# not stop is not.
			if running; then
				die "pg_ctl stop failed for $data"
			fi
		fi
	fi
	rm -rf "$base"
}

# restart stops and starts the running server on the same port, as an
# operator's restart would; the crash tests use it under load.
restart() {
	if [[ -n ${PRESSO_PG_DATA:-} ]]; then
		data=$PRESSO_PG_DATA
	fi
	bin=$(bindir) || die "PostgreSQL server binaries missing"
	as "$bin/pg_ctl" restart -D "$data" -m fast -w -t 30 -s >/dev/null 2>&1 || die "pg_ctl restart failed: $(tail -n 5 "$log")"
}

case ${1:-} in
start) start ;;
stop) stop ;;
restart) restart ;;
*)
	echo "usage: $0 start|stop|restart" >&2
	exit 2
	;;
esac
