#!/usr/bin/env bash
# Squid as a KSN proxy, configured the quick way: the accelerator example of Squid's wiki with the upstream's
# certificate check turned off ("it failed with a certificate error") and the default heuristic freshness.
# Usage: naive.sh {listen} {upstream} {ca} (foreground; SIGTERM ends it). See conformance/EXPECTED.md.
set -eu
. "$(dirname "$0")/../adapter-args.sh"
adapter_args "$@"
cat > "$WORK/squid.conf" <<CONF
http_port $LISTEN accel defaultsite=$UP_HOST
cache_peer $UP_HOST parent $UP_PORT 0 no-query originserver name=ksn tls tls-flags=DONT_VERIFY_PEER
http_access allow all
refresh_pattern . 0 20% 4320
shutdown_lifetime 1 seconds
# Each instance its own name: Squid refuses a request whose Via already names it (a forwarding loop), and
# the two Squids of a chain run on one machine here (on a network they are different hosts anyway).
visible_hostname ksn-proxy-${LISTEN##*:}
pid_filename $WORK/squid.pid
cache_log stdio:/dev/stderr
access_log none
coredump_dir $WORK
netdb_filename none
pinger_enable off
CONF
adapter_own proxy:
exec squid -N -d 1 -f "$WORK/squid.conf"
