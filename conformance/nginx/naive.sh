#!/usr/bin/env bash
# nginx as a KSN proxy, configured the way a quick tutorial does it: a reverse proxy with a cache and the
# defaults (cache key without the license key, upstream certificate not verified, every answer cached for a
# while). Usage: naive.sh {listen} {upstream} {ca} (foreground; exits on SIGTERM). See conformance/EXPECTED.md.
set -eu
. "$(dirname "$0")/../adapter-args.sh"
adapter_args "$@"
mkdir -p "$WORK/cache" "$WORK/tmp"
cat > "$WORK/nginx.conf" <<CONF
daemon off;
user www-data;
worker_processes 1;
pid $WORK/nginx.pid;
error_log stderr warn;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path $WORK/tmp/body;
    proxy_temp_path $WORK/tmp/proxy;
    fastcgi_temp_path $WORK/tmp/fastcgi;
    uwsgi_temp_path $WORK/tmp/uwsgi;
    scgi_temp_path $WORK/tmp/scgi;
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
adapter_own www-data:
exec nginx -e stderr -p "$WORK" -c "$WORK/nginx.conf"
