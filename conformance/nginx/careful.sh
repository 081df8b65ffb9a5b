#!/usr/bin/env bash
# nginx as a KSN proxy, configured the way an expert admin would for the KSN wire contract: cache only what
# the upstream's Cache-Control allows, cache key per tenant (Authorization), never cache errors or POSTs,
# verify the upstream's certificate and name, bound bodies and waits, answer its own errors with the
# contract's JSON body. Usage: careful.sh {listen} {upstream} {ca} (foreground; exits on SIGTERM).
set -eu
. "$(dirname "$0")/../adapter-args.sh"
. "$(dirname "$0")/housekeeping.sh"
adapter_args "$@"
# The upstream certificate names the KSN host `localhost` (and 127.0.0.1 as an IP SAN); nginx checks only
# DNS names, so it is told the host name to verify against when the URL gives an address.
case "$UP_HOST" in
    127.*|::1|\[::1\]) SSL_NAME=localhost ;;
    *) SSL_NAME=$UP_HOST ;;
esac
mkdir -p "$WORK/cache" "$WORK/tmp"
{ nginx_housekeeping; cat <<CONF; } > "$WORK/nginx.conf"
    # The cache lives in the run's own directory; entries are kept as long as Cache-Control says.
    proxy_cache_path $WORK/cache levels=1:2 keys_zone=ksn:8m max_size=64m inactive=1h use_temp_path=off;

    server {
        listen $LISTEN;
        client_max_body_size 1m;           # the contract's 1 MiB limit: 413 before anything goes upstream
        client_header_timeout 10s;         # stalled clients are dropped, others are served meanwhile
        client_body_timeout 10s;
        send_timeout 10s;

        # nginx's own errors get the contract's JSON body (the upstream's errors pass through unchanged).
        error_page 413 /_ksn/413;
        error_page 502 /_ksn/502;
        error_page 504 /_ksn/504;
        location = /_ksn/413 { internal; default_type application/json;
            return 413 '{"error":"too_large","message":"the request body is over 1 MiB"}'; }
        location = /_ksn/502 { internal; default_type application/json;
            return 502 '{"error":"upstream_unavailable","message":"the KSN server could not be reached"}'; }
        location = /_ksn/504 { internal; default_type application/json;
            return 504 '{"error":"upstream_timeout","message":"the KSN server did not answer in time"}'; }

        location / {
            proxy_pass https://$UP_HOST:$UP_PORT;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # Every request header (KSN-*, Authorization, Idempotency-Key) is passed unchanged (the default).

            proxy_ssl_verify on;                       # the upstream's chain must lead to the KSN CA...
            proxy_ssl_trusted_certificate $CA;
            proxy_ssl_verify_depth 3;
            proxy_ssl_name $SSL_NAME;                  # ...and name the KSN host
            proxy_ssl_server_name on;
            proxy_ssl_protocols TLSv1.2 TLSv1.3;

            proxy_cache ksn;
            # One entry per method, path and license key: a tenant never gets another tenant's answer.
            proxy_cache_key "\$request_method \$request_uri \$http_authorization";
            proxy_cache_methods GET HEAD;              # batches and statistics (POST) are never cached
            # No proxy_cache_valid: only answers with Cache-Control: max-age (the reputations) are cached;
            # errors, pings and statements carry none and are never stored.
            proxy_cache_lock on;                       # concurrent identical misses: one upstream request
            proxy_cache_lock_timeout 10s;
            proxy_cache_lock_age 10s;
            add_header KSN-Cache \$upstream_cache_status always;

            proxy_connect_timeout 5s;
            proxy_send_timeout 10s;
            proxy_read_timeout 10s;                    # a silent upstream gets 504 after 10 s
            proxy_next_upstream off;                   # one attempt: an upload is never sent twice by nginx
            proxy_request_buffering on;                # the whole body is read, and its size checked, first
        }
    }
}
CONF
nginx_exec
