#!/usr/bin/env bash
# Squid as a KSN proxy (a reverse proxy, "accelerator" in Squid's words) configured the way an expert admin
# would for the KSN wire contract: no heuristic freshness (only the upstream's max-age), errors never
# cached, concurrent misses collapsed, the upstream's certificate and name verified, the license key
# passed on, bodies and waits bounded. Usage: careful.sh {listen} {upstream} {ca} (foreground; SIGTERM ends it).
set -eu
. "$(dirname "$0")/../adapter-args.sh"
. "$(dirname "$0")/housekeeping.sh"
adapter_args "$@"
case "$UP_HOST" in
    127.*|::1|\[::1\]) TLS_DOMAIN=localhost ;;   # the KSN certificate's host name
    *) TLS_DOMAIN=$UP_HOST ;;
esac
{ squid_housekeeping; cat <<CONF; } > "$WORK/squid.conf"
http_port $LISTEN accel defaultsite=$TLS_DOMAIN no-vhost
# The one upstream: the KSN server, over TLS, its chain checked against the KSN CA and its name against
# tls-domain; login=PASS hands the client's Authorization (the tenant's license key) to it unchanged.
cache_peer $UP_HOST parent $UP_PORT 0 no-query no-digest originserver name=ksn login=PASS connect-timeout=5 tls tls-cafile=$CA tls-domain=$TLS_DOMAIN
cache_peer_access ksn allow all
never_direct allow all
acl ksn_clients src 127.0.0.0/8
http_access allow ksn_clients
http_access deny all

cache_mem 32 MB
maximum_object_size_in_memory 64 KB
refresh_pattern . 0 0% 0            # no heuristic freshness: an answer is fresh only as long as its max-age
negative_ttl 0 seconds              # errors are never cached
collapsed_forwarding on             # concurrent identical misses: one upstream request
request_body_max_size 1 MB          # the contract's body limit: 413 before anything goes upstream
retry_on_error off                  # one attempt: an upload is never sent twice by Squid
connect_retries 0
connect_timeout 5 seconds
read_timeout 10 seconds             # a silent upstream gets 504 after 10 s
forward_timeout 10 seconds
request_timeout 10 seconds          # stalled clients are dropped
CONF
squid_exec
