#!/usr/bin/env bash
# N replicas of the app behind Debian's haproxy, all on loopback, in the foreground:
#   deploy/local-cluster.sh N [PORT]
# The balancer listens on 127.0.0.1:PORT (default 8500), replica i on PORT+i; each replica
# is `streamlit run app.py` with the production settings of .streamlit/config.toml, and
# haproxy reads deploy/haproxy.cfg, the file the compose setup uses. Ctrl-C or SIGTERM
# stops everything. A replica that dies is left dead (its browsers reconnect to another);
# the script ends when haproxy does. PYTHON picks the interpreter (default python3).
# Each replica holds itself to a CPU no other has claimed (optviz_app/serving.py), while
# there are free ones.
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-}
port=${2:-8500}
if ! [[ "$n" =~ ^[1-8]$ ]] || ! [[ "$port" =~ ^[0-9]+$ ]] || ((port < 1024 || port + n > 65535)); then
  echo "usage: $0 N [PORT]   (N replicas, 1-8; the balancer on 127.0.0.1:PORT, default 8500)" >&2
  exit 2
fi
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$haproxy" ] || {
  echo "haproxy is missing: apt-get install haproxy" >&2
  exit 1
}
python=${PYTHON:-python3}

pids=()
stop_all() {
  trap - EXIT INT TERM
  if ((${#pids[@]})); then
    kill "${pids[@]}" 2>/dev/null || true
    # a process that does not stop within 10 s (e.g. its output pipe is gone) is killed
    (sleep 10 && kill -KILL "${pids[@]}" 2>/dev/null) &
    killer=$!
    wait "${pids[@]}" 2>/dev/null || true
    kill "$killer" 2>/dev/null || true
  fi
  [ -n "${state:-}" ] && rm -rf "$state"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for ((i = 1; i <= n; i++)); do
  p=$((port + i))
  "$python" -m streamlit run app.py --server.address 127.0.0.1 --server.port "$p" &
  pids+=($!)
  export "OPTVIZ_R$i=127.0.0.1:$p"
  echo "replica r$i: pid $! on http://127.0.0.1:$p"
done

export OPTVIZ_BIND="127.0.0.1:$port"
state=$(mktemp -d "${TMPDIR:-/tmp}/optviz-cluster.XXXXXX")
export OPTVIZ_STATS_SOCKET="$state/haproxy.sock"
"$haproxy" -db -f deploy/haproxy.cfg &
balancer=$!
pids+=("$balancer")
echo "haproxy: pid $balancer on http://127.0.0.1:$port (runtime API: $OPTVIZ_STATS_SOCKET)"

# ready once haproxy's health checks see every replica up
"$python" - "$OPTVIZ_STATS_SOCKET" "$n" "$port" <<'PY'
import socket, sys, time
path, n, port = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def up():
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(2)
            s.connect(path)
            s.sendall(b"show stat\n")
            out = b""
            while chunk := s.recv(65536):
                out += chunk
    except OSError:
        return 0
    rows = [r.split(",") for r in out.decode().splitlines() if r.startswith("replicas,r")]
    return sum(r[17] == "UP" for r in rows)
deadline = time.monotonic() + 180
while (count := up()) < n and time.monotonic() < deadline:
    time.sleep(0.3)
print(f"ready: http://127.0.0.1:{port}" if count == n else f"only {count} of {n} up after 180 s", flush=True)
PY

wait "$balancer"
