# Shared by the nginx adapters: the parts of nginx.conf that only keep nginx inside the run's own directory
# (pid, temp paths, logs to stderr, foreground), and starting it. Sourced after adapter-args.sh.

# Prints the top of nginx.conf up to and including `http {` and its temp paths.
nginx_housekeeping() {
    cat <<CONF
daemon off;                                # foreground: ksnsim starts and stops it
user www-data;                             # workers run unprivileged (ignored when not started as root)
worker_processes ${NGINX_WORKERS:-1};           # one is enough for conformance; benchmarks set NGINX_WORKERS
pid $WORK/nginx.pid;
error_log stderr warn;                     # ksnsim keeps the last lines as evidence
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path $WORK/tmp/body;
    proxy_temp_path $WORK/tmp/proxy;
    fastcgi_temp_path $WORK/tmp/fastcgi;
    uwsgi_temp_path $WORK/tmp/uwsgi;
    scgi_temp_path $WORK/tmp/scgi;
CONF
}

# Runs nginx in the foreground on WORK/nginx.conf (replacing this shell, so SIGTERM reaches nginx).
nginx_exec() {
    adapter_own www-data:
    exec nginx -e stderr -p "$WORK" -c "$WORK/nginx.conf"
}
