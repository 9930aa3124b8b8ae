#!/usr/bin/env bash
# Runs `dual-stack` twice: on this machine as it is, and in a network
# namespace whose /etc/hosts is Debian's default (localhost is both
# 127.0.0.1 and ::1), which `ip netns exec` mounts from
# /etc/netns/NAME/hosts. Linux only; needs root. Removes what it made.
set -euo pipefail
bin=${DUAL_STACK:-target/debug/dual-stack}
[ -x "$bin" ] || { echo "build first: cargo build -p course-demos" >&2; exit 2; }
cleanup() {
    ip netns del dp-v6 2>/dev/null || true
    rm -rf /etc/netns/dp-v6
    rmdir /etc/netns 2>/dev/null || true
}
trap cleanup EXIT
echo "== this machine's /etc/hosts:"
grep -w localhost /etc/hosts
"$bin"
ip netns add dp-v6
ip -n dp-v6 link set lo up
mkdir -p /etc/netns/dp-v6
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
    > /etc/netns/dp-v6/hosts
echo "== with Debian's default /etc/hosts:"
ip netns exec dp-v6 grep -w localhost /etc/hosts
ip netns exec dp-v6 "$bin"
