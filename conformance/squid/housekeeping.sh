# Shared by the Squid adapters: the parts of squid.conf that only keep Squid inside the run's own directory
# (pid, logs to stderr, no helpers, a quick shutdown), and starting it. Sourced after adapter-args.sh.

# Prints the housekeeping lines of squid.conf.
squid_housekeeping() {
    cat <<CONF
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
logfile_rotate 0
CONF
}

# Runs Squid in the foreground (-N: no daemon, no worker kids) on WORK/squid.conf, replacing this shell.
squid_exec() {
    adapter_own proxy:
    exec squid -N -d 1 -f "$WORK/squid.conf"
}
