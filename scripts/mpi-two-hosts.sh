#!/usr/bin/env bash
# Two "hosts" on one machine: runs an MPI command over TCP between two network namespaces.
#
#   sudo scripts/mpi-two-hosts.sh [-n RANKS_PER_HOST] [-- COMMAND ARGS...]
#
# Each host is a network namespace (charnn-h1, charnn-h2) joined to the other by a veth pair
# (10.77.0.1 ↔ 10.77.0.2), and every process of a host runs in a UTS namespace of its own named
# after it (h1, h2): Open MPI names its session directories and shared-memory segments after the
# host name, so two "hosts" that share /tmp and one name would collide. mpirun starts on h1; a
# small script stands in for ssh (--mca plm_rsh_agent) and starts Open MPI's daemon on h2 with
# `ip netns exec` + `unshare --uts`. Messages go over TCP only (--mca btl tcp,self) on the veth.
# Without a command: .build/mpi/release/charnn-mpi-check (make mpi), else its debug build.
# Needs root (namespaces). The namespaces and the veth pair are removed on exit, whatever happens.
set -euo pipefail

per_host=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        -n) per_host="$2"; shift 2 ;;
        --) shift; break ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) break ;;
    esac
done
if [[ $# -eq 0 ]]; then
    for candidate in .build/mpi/release/charnn-mpi-check .build/mpi/debug/charnn-mpi-check; do
        if [[ -x "$candidate" ]]; then set -- "$(realpath "$candidate")"; break; fi
    done
    [[ $# -gt 0 ]] || { echo "error: no charnn-mpi-check built: run make mpi, or give a command" >&2; exit 1; }
fi
[[ $(id -u) -eq 0 ]] || { echo "error: $0 needs root (network and UTS namespaces)" >&2; exit 1; }
for tool in ip unshare mpirun; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing" >&2; exit 1; }
done

tag="charnn$$"
ns1="$tag-h1" ns2="$tag-h2"
work=$(mktemp -d "/tmp/$tag.XXXXXX")
cleanup() {
    ip netns del "$ns1" 2>/dev/null || true
    ip netns del "$ns2" 2>/dev/null || true   # a namespace takes its end of the veth pair with it
    ip link del "v$$a" 2>/dev/null || true    # a pair not yet moved into one
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns1"
ip netns add "$ns2"
ip link add "v$$a" type veth peer name "v$$b"
ip link set "v$$a" netns "$ns1"
ip link set "v$$b" netns "$ns2"
ip -n "$ns1" addr add 10.77.0.1/24 dev "v$$a"
ip -n "$ns2" addr add 10.77.0.2/24 dev "v$$b"
for ns in "$ns1" "$ns2"; do
    ip -n "$ns" link set lo up
done
ip -n "$ns1" link set "v$$a" up
ip -n "$ns2" link set "v$$b" up

# The ssh stand-in: `agent HOST COMMAND…` runs COMMAND on HOST (its namespaces, its name).
cat > "$work/agent" <<AGENT
#!/usr/bin/env bash
host="\$1"; shift
case "\$host" in
    10.77.0.1|h1) ns="$ns1"; name=h1 ;;
    10.77.0.2|h2) ns="$ns2"; name=h2 ;;
    *) echo "agent: unknown host \$host" >&2; exit 255 ;;
esac
exec ip netns exec "\$ns" unshare --uts /bin/sh -c 'hostname "\$0"; exec /bin/sh -c "\$1"' "\$name" "\$*"
AGENT
chmod +x "$work/agent"
printf '10.77.0.1 slots=%s\n10.77.0.2 slots=%s\n' "$per_host" "$per_host" > "$work/hostfile"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
echo "mpi-two-hosts: $((2 * per_host)) ranks on h1 (10.77.0.1) and h2 (10.77.0.2) over TCP: $*" >&2
# Open MPI's own ssh-related checks look at the agent's name only; everything else is standard.
ip netns exec "$ns1" unshare --uts /bin/sh -c 'hostname h1; exec "$@"' sh \
    mpirun --hostfile "$work/hostfile" -np $((2 * per_host)) --map-by node --bind-to none \
    --mca plm_rsh_agent "$work/agent" \
    --mca btl tcp,self --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
    --mca pml ob1 \
    "$@"
