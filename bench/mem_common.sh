# Shared by bench/mem.sh, bench/heap_trace.sh and bench/mem_sweep.sh
# (sourced): the manager-memory setup of bench.py's `vigil` peer.

# mem_units ROOT N: N services under ROOT (Restart=always, RestartSec=0,
# `sleep infinity`: a service's own memory is not counted, so the program
# does not matter), wanted by multi-user.target.
mem_units() {
    local u=$1/etc/systemd/system i
    mkdir -p "$u/multi-user.target.wants"
    for ((i = 0; i < $2; i++)); do
        printf '[Service]\nExecStart=/bin/sleep infinity\nRestart=always\nRestartSec=0\n[Install]\nWantedBy=multi-user.target\n' >"$u/s$i.service"
        ln -s "../s$i.service" "$u/multi-user.target.wants/s$i.service"
    done
}

# mem_tree PID: PID and every process under it, depth first.
mem_tree() {
    local c
    echo "$1"
    for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do mem_tree "$c"; done
}

# mem_running PID: how many `sleep` processes run under PID.
mem_running() {
    local n=0 p
    for p in $(mem_tree "$1"); do
        [ "$(cat /proc/"$p"/comm 2>/dev/null)" = sleep ] && n=$((n + 1))
    done
    echo $n
}

# mem_wait PID N: poll until N services run under PID; status 1 after
# 300 s without them.
mem_wait() {
    local deadline=$((SECONDS + 300))
    while [ "$(mem_running "$1")" -lt "$2" ]; do
        [ $SECONDS -gt $deadline ] && return 1
        sleep 0.2
    done
}
