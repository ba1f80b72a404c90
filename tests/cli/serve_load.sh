#!/usr/bin/env bash
# kvmexitstat serve under load: 200 clients at once, 100 slow clients that
# send a byte at a time, malformed and oversized requests. The exporter
# must stay up, answer the others, keep its memory bounded, and answer 200
# only to GET of /metrics.
. "$(dirname "$0")/tap.bash"
if [ ! -c /dev/kvm ]; then
	echo "ok - serve under load # SKIP no /dev/kvm on this machine"
	exit 0
fi
P=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$KVMEXITSTAT" serve --listen "127.0.0.1:$P" 0.5 2>"$TMP/serve.err" &
S=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$P/metrics" && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2}' "/proc/$S/status"; }
before=$(rss)
TAP_START=$_n python3 - "$P" >"$TMP/check" <<'PY'
import asyncio, sys, time
sys.path.insert(0, "tests/cli")
from tapcheck import check, done
port = int(sys.argv[1])

async def request(raw, timeout=10):
    r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    w.write(raw)
    await w.drain()
    try:
        data = await asyncio.wait_for(r.read(), timeout)
    finally:
        w.close()
    return data

def status(data):
    return data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "none"

GET = b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

async def slow(stop):
    # a byte at a time, one a second, never finishing the request
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return "refused"
    try:
        for b in GET[:-2]:
            if stop.is_set():
                break
            w.write(bytes([b]))
            await w.drain()
            await asyncio.sleep(1)
    except OSError:
        pass
    w.close()
    return "done"

async def main():
    t = time.monotonic()
    res = await asyncio.gather(*(request(GET) for _ in range(200)), return_exceptions=True)
    ok = sum(1 for x in res if not isinstance(x, Exception) and status(x) == "200"
             and b"kvmexitstat_readings_total" in x)
    check(f"200 clients at once: all answered with the metrics ({ok}, {time.monotonic() - t:.2f} s)", ok == 200,
          str([x for x in res if isinstance(x, Exception)][:3]))
    stop = asyncio.Event()
    slow_tasks = [asyncio.create_task(slow(stop)) for _ in range(100)]
    await asyncio.sleep(2)
    lat = []
    for _ in range(20):
        t = time.monotonic()
        d = await request(GET, 5)
        lat.append(time.monotonic() - t)
        if status(d) != "200":
            lat.append(99)
    check(f"with 100 slow clients connected, 20 others answered at once (slowest {max(lat):.3f} s)", max(lat) < 1,
          str(lat))
    bad = {
        "garbage": b"\x00\xff\x13\x37 garbage\r\n\r\n",
        "DELETE": b"DELETE /metrics HTTP/1.1\r\n\r\n",
        "PUT with a body": b"PUT /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        "another path": b"GET /../../etc/passwd HTTP/1.1\r\n\r\n",
        "a 100 KB request line": b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\n\r\n",
        "a 1 MB header": b"GET /metrics HTTP/1.1\r\nX: " + b"b" * 1000000 + b"\r\n\r\n",
        "HTTP/0.9": b"GET /metrics\r\n",
        "a NUL in the path": b"GET /met\x00rics HTTP/1.1\r\n\r\n",
    }
    for name, raw in bad.items():
        try:
            d = await request(raw, 5)
        except (OSError, asyncio.TimeoutError) as e:
            d = b""
        check(f"{name}: not served (status {status(d)})", status(d) != "200")
    d = await request(GET)
    check("after all that, GET /metrics still answers", status(d) == "200")
    stop.set()
    await asyncio.gather(*slow_tasks, return_exceptions=True)

asyncio.run(main())
done()
PY
cat "$TMP/check"
_n=$((_n + $(grep -c '^\(not \)\?ok' "$TMP/check")))
after=$(rss)
if kill -0 $S 2>/dev/null; then ok "the exporter is still running"; else not_ok "the exporter died" "$(cat "$TMP/serve.err")"; fi
if [ -n "$after" ] && [ $((after - before)) -lt 20480 ]; then ok "memory stayed bounded (RSS $before kB -> $after kB)"
else not_ok "memory: RSS $before kB -> $after kB"; fi
kill -INT $S; wait $S
st=$?
[ $st = 0 ] && ok "serve stops on SIGINT after the load (exit 0)" || not_ok "serve exit $st" "$(tail -3 "$TMP/serve.err")"
