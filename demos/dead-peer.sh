#!/usr/bin/env bash
# Two "machines" (network namespaces dp-a and dp-b), each with a cable
# (a veth pair) into a switch (a bridge in a third namespace, dp-cable).
# The server runs on b, the client on a; after a moment the script cuts the
# cable by turning the switch off: neither machine sees its link go down,
# packets just stop arriving, as when a peer loses power or a cable is
# pulled further away. Linux only; needs root and `ip` (iproute2).
#
#   demos/dead-peer.sh silent|keepalive|heartbeat|write|user-timeout|flood
#
# Every run is bounded (the programs' --give-up) and removes its namespaces.
set -euo pipefail
scenario=${1:?usage: dead-peer.sh silent|keepalive|heartbeat|write|user-timeout|flood}
bin=${DEAD_PEER:-target/debug/dead-peer}
[ -x "$bin" ] || { echo "build first: cargo build -p course-demos" >&2; exit 2; }

cleanup() {
    for ns in dp-a dp-b dp-cable; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT
cleanup
for ns in dp-a dp-b dp-cable; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n dp-cable link add br0 type bridge
for host in a b; do
    ip link add "eth-$host" netns "dp-$host" type veth peer name "port-$host" netns dp-cable
    ip -n dp-cable link set dev "port-$host" master br0 up
done
ip -n dp-a addr add 10.7.0.1/24 dev eth-a && ip -n dp-a link set eth-a up
ip -n dp-b addr add 10.7.0.2/24 dev eth-b && ip -n dp-b link set eth-b up
ip -n dp-cable link set br0 up

on_a() { ip netns exec dp-a "$@"; }
on_b() { ip netns exec dp-b "$@"; }
at() { echo "$(date -u +%T.%1N)  $*"; }

case $scenario in
    silent)       server=(serve 10.7.0.2:7000 --give-up 15)
                  client=(wait 10.7.0.2:7000 --give-up 20) ;;
    keepalive)    server=(serve 10.7.0.2:7000 --give-up 15)
                  client=(wait 10.7.0.2:7000 --keepalive 3 --give-up 20) ;;
    heartbeat)    server=(serve 10.7.0.2:7000 --heartbeat 1 --give-up 15)
                  client=(wait 10.7.0.2:7000 --read-timeout 3 --give-up 20) ;;
    write)        server=(serve 10.7.0.2:7000 --give-up 15)
                  client=(send 10.7.0.2:7000 --give-up 20) ;;
    user-timeout) server=(serve 10.7.0.2:7000 --give-up 15)
                  client=(send 10.7.0.2:7000 --user-timeout 5 --give-up 20) ;;
    flood)        server=(serve 10.7.0.2:7000 --give-up 15)
                  client=(flood 10.7.0.2:7000 --after 4 --write-timeout 2 --give-up 20) ;;
    *) echo "unknown scenario $scenario" >&2; exit 2 ;;
esac

ip netns exec dp-b "$bin" "${server[@]}" &
server_pid=$!
# Wait until the server listens (no fixed sleep: poll ss, at most 5 s).
for _ in $(seq 50); do
    on_b ss -tln | grep -q 10.7.0.2:7000 && break
    sleep 0.1
done
ip netns exec dp-a "$bin" "${client[@]}" &
client_pid=$!
sleep 2.5
at "script: cable cut (the switch between a and b is off)"
ip -n dp-cable link set br0 down
for pause in 2 8; do
    sleep "$pause"
    kill -0 "$client_pid" 2>/dev/null || break
    # ss -H prints: state, Recv-Q, Send-Q, the two ends, a timer if one runs.
    at "ss on a: $(on_a ss -Htno '( dport = :7000 )' | awk '{
        printf "%s, %s unread, %s unacked, %s", $1, $2, $3,
            ($6 == "" ? "no timer" : $6) }')"
done
wait "$client_pid" "$server_pid" || true
