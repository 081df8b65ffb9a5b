# Shared by the adapter scripts under conformance/: reads `SCRIPT {listen} {upstream} {ca}` (the ksnsim
# conformance placeholders), checks them, and makes a fresh directory for the proxy's config, cache, logs
# and pid file. Sourced, never run; sets LISTEN, UP_HOST, UP_PORT, UPSTREAM, CA, WORK.
#
# The directory is made under $TMPDIR (default /tmp): conformance/matrix.sh points TMPDIR at a directory of
# its own and removes it at the end, since an adapter `exec`s its proxy and cannot clean up after it.

adapter_usage() {
    echo "usage: $0 LISTEN UPSTREAM CA   e.g. $0 127.0.0.1:23456 https://127.0.0.1:8443 /path/ca.pem" >&2
    echo "  (what ksnsim conformance passes for '{listen} {upstream} {ca}')" >&2
    exit 2
}

adapter_args() {
    [ "$#" -eq 3 ] || adapter_usage
    LISTEN=$1
    UPSTREAM=$2
    CA=$3
    case "$LISTEN" in
        *:[0-9]*) ;;
        *) echo "$0: LISTEN must be HOST:PORT, got '$LISTEN'" >&2; adapter_usage ;;
    esac
    case "$UPSTREAM" in
        https://*:[0-9]*) ;;
        *) echo "$0: UPSTREAM must be https://HOST:PORT (KSN proxies speak TLS upstream), got '$UPSTREAM'" >&2
           adapter_usage ;;
    esac
    local hostport=${UPSTREAM#https://}
    hostport=${hostport%%/*}
    UP_HOST=${hostport%:*}
    UP_PORT=${hostport##*:}
    [ -r "$CA" ] || { echo "$0: the CA file '$CA' cannot be read" >&2; exit 2; }
    CA=$(realpath "$CA")
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/ksnsim-adapter.XXXXXXXX") || {
        echo "$0: could not make a directory under ${TMPDIR:-/tmp}" >&2; exit 1; }
}

# Started as root, nginx's workers and Squid drop to an unprivileged user: it must be able to write WORK.
adapter_own() {
    if [ "$(id -u)" = 0 ]; then chown -R "$1" "$WORK"; fi
}
