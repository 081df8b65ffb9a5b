#!/usr/bin/env bash
# nginx as a KSN proxy, configured the way a quick tutorial does it: a reverse proxy with a cache and the
# defaults (cache key without the license key, upstream certificate not verified, every answer cached for a
# while). Usage: naive.sh {listen} {upstream} {ca} (foreground; exits on SIGTERM). See conformance/EXPECTED.md.
set -eu
. "$(dirname "$0")/../adapter-args.sh"
. "$(dirname "$0")/housekeeping.sh"
adapter_args "$@"
mkdir -p "$WORK/cache" "$WORK/tmp"
{ nginx_housekeeping; cat <<CONF; } > "$WORK/nginx.conf"
    proxy_cache_path $WORK/cache keys_zone=ksn:8m;
    server {
        listen $LISTEN;
        location / {
            proxy_pass $UPSTREAM;          # proxy_ssl_verify is off by default: any certificate is taken
            # Added after the first try answered only 502: nginx 1.22 offers TLS up to 1.2 upstream by
            # default, and a KSN server speaks TLS 1.3 only.
            proxy_ssl_protocols TLSv1.2 TLSv1.3;
            proxy_cache ksn;               # default key \$scheme\$proxy_host\$request_uri: no license key
            proxy_cache_valid 200 10m;     # the tutorial's lines: cache 200s for 10 minutes...
            proxy_cache_valid any 1m;      # ...and everything else (errors too) for a minute
        }
    }
}
CONF
nginx_exec
