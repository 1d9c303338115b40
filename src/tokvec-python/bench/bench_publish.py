"""Publisher.publish against ``java -jar target/tokvec.jar publish`` on the same broker and table.

    java -jar target/tokvec.jar broker --port 0 --registry-port 0 --dir /tmp/bench-broker   # prints both addresses
    /usr/bin/python3 src/tokvec-python/bench/bench_publish.py --bootstrap HOST:PORT --registry http://HOST:PORT \\
        [--rows 1000000] [--dim 128] [--repeat 2] [--jar target/tokvec.jar]

Writes a random float32 ``.npy`` table of ``rows x dim`` to a temporary directory (deleted at the
end), then publishes it ``--repeat`` times each way, alternating, each to a new model topic (so that
both read back a topic of one version for retention): the Java command as a child process (its wall
time, JVM start included, and the seconds it reports itself), and ``Publisher.publish`` of the
memory-mapped file (wall time including the Publisher's creation, and the seconds it reports).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tokvec  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def write_table(path, rows, dim):
    w = np.lib.format.open_memmap(path, mode="w+", dtype="<f4", shape=(rows, dim))
    rng = np.random.default_rng(0)
    step = 65536
    for start in range(0, rows, step):
        n = min(step, rows - start)
        w[start:start + n] = rng.standard_normal((n, dim), dtype=np.float32)
    w.flush()
    del w


def java_publish(a, npy, topic, workdir):
    conf = os.path.join(workdir, "bench.properties")
    with open(conf, "w") as f:
        f.write(f"bootstrap.servers={a.bootstrap}\nschema.registry.url={a.registry}\ntokvec.topic.model={topic}\n"
                f"tokvec.table=bench\n")
    t0 = time.perf_counter()
    r = subprocess.run(["java", "-jar", a.jar, "publish", "--config", conf, "--version", "1", "--file", npy,
                        "--format", "npy"], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"tokvec publish failed:\n{r.stdout}\n{r.stderr}")
    line = r.stdout.strip().splitlines()[-1]
    return wall, float(re.search(r", ([0-9.]+) s", line).group(1)), line


def python_publish(a, npy, topic):
    t0 = time.perf_counter()
    with tokvec.Publisher(a.bootstrap, a.registry, topic, "bench") as publisher:
        result = publisher.publish(1, np.load(npy, mmap_mode="r"))
    return time.perf_counter() - t0, result.seconds, result.summary()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--registry", required=True)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--jar", default=os.path.join(ROOT, "target", "tokvec.jar"))
    a = p.parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="tokvec-bench-publish-")
    try:
        npy = os.path.join(workdir, "table.npy")
        write_table(npy, a.rows, a.dim)
        print(f"table {a.rows} x {a.dim} float32 ({os.path.getsize(npy) / 2**20:.0f} MiB)")
        walls = {"java": [], "python": []}
        for i in range(a.repeat):
            for name in (("java", "python") if i % 2 == 0 else ("python", "java")):
                topic = f"bench-model-{uuid.uuid4().hex[:8]}"
                wall, own, line = (java_publish(a, npy, topic, workdir) if name == "java"
                                   else python_publish(a, npy, topic))
                walls[name].append(wall)
                print(f"  {name:6s} run {i + 1}: {wall:6.2f} s wall ({own:.2f} s reported: {line})")
        for name, w in walls.items():
            print(f"{name:6s} best {min(w):.2f} s wall, {a.rows / min(w):,.0f} rows/s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
