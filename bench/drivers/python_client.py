"""Python's xmlrpc.client as a bench client: same job and result JSON as bench/client.ts.

"64 in flight" here is 64 threads, each with its own ServerProxy (the client is
synchronous); the GIL makes that a measure of the client as much as the server.
"""
import json
import os
import sys
import threading
import time
import xmlrpc.client

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / CLK_TCK


def sequential(proxy, budget, pid):
    lat = []
    cpu0 = cpu_seconds(pid) if pid else float("nan")
    start = time.perf_counter()
    deadline = start + budget["phaseMs"] / 1000
    now = start
    while len(lat) < budget["maxCalls"] and now < deadline:
        t0 = now
        proxy.add(3, 5)
        now = time.perf_counter()
        lat.append(now - t0)
    cpu1 = cpu_seconds(pid) if pid else float("nan")
    lat.sort()
    n = len(lat)
    at = lambda p: lat[min(n - 1, max(0, -(-p * n // 100) - 1))] * 1e6
    return n / (now - start), at(50), at(99), (cpu1 - cpu0) / max(1, n) * 1e6


def concurrent(url, threads, budget, pid):
    done = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + budget["phaseMs"] / 1000

    def work():
        proxy = xmlrpc.client.ServerProxy(url)
        while done[0] < budget["maxCalls"] and time.perf_counter() < deadline:
            proxy.add(3, 5)
            with lock:
                done[0] += 1

    cpu0 = cpu_seconds(pid) if pid else float("nan")
    own0 = time.process_time()
    start = time.perf_counter()
    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(budget["phaseMs"] / 1000 + 15)
    secs = time.perf_counter() - start
    cpu1 = cpu_seconds(pid) if pid else float("nan")
    own = time.process_time() - own0
    calls = max(1, done[0])
    return done[0] / secs, (cpu1 - cpu0) / calls * 1e6, own / calls * 1e6


def echo(proxy, size, budget):
    payload = xmlrpc.client.Binary(bytes((i * 31 + 7) & 0xFF for i in range(size)))
    back = proxy.echo(payload)
    if len(back.data) != size:
        raise RuntimeError(f"echo of {size} returned {len(back.data)}")
    max_calls = max(3, min(budget["maxCalls"], int(2e8 * budget["echoMs"] / 1000 / (size + 200))))
    start = time.perf_counter()
    deadline = start + budget["echoMs"] / 1000
    n = 0
    while n < max_calls and (n == 0 or time.perf_counter() < deadline):
        proxy.echo(payload)
        n += 1
    return (time.perf_counter() - start) * 1e6 / n


def main():
    job = json.loads(sys.argv[1])
    budget, url, pid = job["budget"], job["target"], job.get("serverPid")
    result = {"errors": []}
    proxy = xmlrpc.client.ServerProxy(url)
    if proxy.add(3, 5) != 8:
        raise RuntimeError("add(3, 5) != 8")
    end = time.perf_counter() + budget["warmupMs"] / 1000
    while time.perf_counter() < end:
        proxy.add(3, 5)
    reps = range(budget["reps"])
    figures = job["figures"]
    try:
        if "sequential" in figures:
            runs = [sequential(proxy, budget, pid) for _ in reps]
            keys = ["rate", "p50Us", "p99Us", "cpuUsPerCall"]
            result["sequential"] = {k: [r[i] for r in runs] for i, k in enumerate(keys)}
        if "inflight64" in figures:
            runs = [concurrent(url, 64, budget, pid) for _ in reps]
            result["inflight64"] = {
                "rate": [r[0] for r in runs],
                "cpuUsPerCall": [r[1] for r in runs],
                "clientCpuUsPerCall": [r[2] for r in runs],
            }
    except Exception as e:  # noqa: BLE001 - reported, not raised
        result["errors"].append(f"load: {e}")
    if "echo" in figures:
        result["echoUs"] = {}
        for size in job["echoSizes"]:
            try:
                echo_reps = range(budget.get("echoReps", budget["reps"]))
                result["echoUs"][str(size)] = [echo(proxy, size, budget) for _ in echo_reps]
            except Exception as e:  # noqa: BLE001
                result["errors"].append(f"echo {size}: {e}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"errors": [repr(e)]}), flush=True)
        sys.exit(1)
