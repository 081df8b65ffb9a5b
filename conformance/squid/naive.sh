#!/usr/bin/env bash
# Squid as a KSN proxy, configured the quick way: the accelerator example of Squid's wiki with the upstream's
# certificate check turned off ("it failed with a certificate error") and the default heuristic freshness.
# Usage: naive.sh {listen} {upstream} {ca} (foreground; SIGTERM ends it). See conformance/EXPECTED.md.
set -eu
. "$(dirname "$0")/../adapter-args.sh"
. "$(dirname "$0")/housekeeping.sh"
adapter_args "$@"
{ squid_housekeeping; cat <<CONF; } > "$WORK/squid.conf"
http_port $LISTEN accel defaultsite=$UP_HOST
cache_peer $UP_HOST parent $UP_PORT 0 no-query originserver name=ksn tls tls-flags=DONT_VERIFY_PEER
http_access allow all
refresh_pattern . 0 20% 4320
CONF
squid_exec
