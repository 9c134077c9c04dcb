"""Scaling out on this machine: stories per second with 1, 2 and 3 cluster workers on PostgreSQL,
and what a story costs in PostgreSQL against SQLite, on the generated web of bench/run.py.

    .venv/bin/python bench/cluster.py             # 2,000 articles on five hosts; about 6 minutes
    .venv/bin/python bench/cluster.py --quick     # 500 articles

Starts a throwaway PostgreSQL cluster and Redis server with .ci/services (Debian's postgresql and
redis-server must be installed), unless HSCT_WATCH_TEST_POSTGRES and HSCT_WATCH_TEST_REDIS name
running ones. Every measurement crawls the same pages into a fresh, empty store. Prints a table and
writes bench/results/cluster.json.

CPU is counted for every process that works for the crawl: the crawl's (or each worker's) process
tree, and the PostgreSQL server's processes (Redis's too, in the cluster): a store on a server
moves part of the cost out of the crawl's process, and this puts it back.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import HOSTS, PYTHON, RESULTS, SCRAPY_SETTINGS, read_stats, serve, versions  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
#: every command runs this checkout's code, whatever the folder it runs in
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


# -- the servers ----------------------------------------------------------------------------------


def services(folder: str) -> tuple[str, str, bool]:
    """(PostgreSQL URL, Redis URL, started here): running ones if named, else throwaway ones."""
    postgres, redis = os.environ.get("HSCT_WATCH_TEST_POSTGRES"), os.environ.get("HSCT_WATCH_TEST_REDIS")
    if postgres and redis:
        return postgres, redis, False
    out = subprocess.run(["bash", str(ROOT / ".ci/services"), "start", f"{folder}/services"], check=True,
                         capture_output=True, text=True).stdout
    found = dict(re.findall(r"export (\w+)=(\S+)", out))
    return found["HSCT_WATCH_TEST_POSTGRES"], found["HSCT_WATCH_TEST_REDIS"], True


def fresh_database(server: str, name: str) -> str:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def server_cpu(names: tuple[str, ...]) -> float:
    """CPU seconds used so far by every process whose command is one of `names` (the servers)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        command, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if command.startswith(names):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and of the children it has waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / TICKS


SERVERS = ("postgres", "redis-server")


# -- the crawls -------------------------------------------------------------------------------------


def config(folder: Path, port: int, store: str, redis: str = "") -> Path:
    lines = [f'[store]\nurl = "{store}"\n[feeds]\nout = "{folder}/public"']
    if redis:
        lines.append(f'[cluster]\nredis = "{redis}"\nprefix = "bench-{folder.name}"')
    lines.append("[scrapy]")
    lines += [f"{key} = {json.dumps(value)}" for key, value in SCRAPY_SETTINGS.items()]
    lines.append(f'HSCTWATCH_STATS_FILE = "{folder}/stats.jsonl"')
    for index, host in enumerate(HOSTS):
        lines.append(f'[[sources]]\nname = "site{index}"\nkind = "sitemap"\nurls = ["http://{host}:{port}/robots.txt"]')
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hsct-watch.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stories_in(store: str) -> int:
    from hsctwatch.stories.models import Store, close_stores

    engine = Store(store).engine
    with engine.connect() as connection:
        count = int(connection.exec_driver_sql("SELECT count(*) FROM articles").scalar() or 0)
    close_stores()
    engine.dispose()
    return count


def one_process(folder: Path, port: int, store: str) -> dict[str, Any]:
    """`hsct-watch crawl` in one process (and its page-reading worker) into `store`."""
    path = config(folder, port, store)
    subprocess.run([PYTHON, "-m", "hsctwatch", "--config", str(path), "db", "upgrade"], check=True,
                   capture_output=True, env=ENV)
    servers_before, cpu_before = server_cpu(SERVERS), _children_cpu()
    started = time.perf_counter()
    subprocess.run([PYTHON, "-m", "hsctwatch", "--config", str(path), "crawl", "--quiet"], cwd=folder,
                   check=False, env=ENV)
    wall = time.perf_counter() - started
    return _figures(folder, store, wall, _children_cpu() - cpu_before, server_cpu(SERVERS) - servers_before)


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _figures(folder: Path, store: str, wall: float, crawl_cpu: float, servers: float) -> dict[str, Any]:
    stats = read_stats(str(folder))
    stories = stories_in(store)
    stages = {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("hsctwatch/seconds/")}
    pages = int(stats.get("hsctwatch/extract/pages", 0))
    return {"wall": round(wall, 2), "pages": pages, "stories": stories,
            "stories_per_second": round(stories / wall, 1),
            "store_ms_per_story": round(1000 * stages.get("store", 0) / max(stories, 1), 2),
            "dedup_ms_per_story": round(1000 * stages.get("dedup", 0) / max(stories, 1), 2),
            "server_cpu_ms_per_story": round(1000 * servers / max(stories, 1), 2),
            "crawl_cpu_seconds": round(crawl_cpu, 2), "server_cpu_seconds": round(servers, 2)}


def cluster(folder: Path, port: int, store: str, redis: str, workers: int) -> dict[str, Any]:
    """`hsct-watch crawl` seeding the queue for `workers` workers, timed until the queue is drained."""
    path = config(folder, port, store, redis)
    subprocess.run([PYTHON, "-m", "hsctwatch", "--config", str(path), "db", "upgrade"], check=True,
                   capture_output=True, env=ENV)
    logs = [folder / f"worker{n}.log" for n in range(workers)]
    running = [subprocess.Popen([PYTHON, "-m", "hsctwatch", "--config", str(path), "worker"], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=log.open("w"), env=ENV) for log in logs]
    try:
        for log in logs:
            while "waiting for runs" not in log.read_text(encoding="utf-8"):
                time.sleep(0.1)
        servers_before, seed_before = server_cpu(SERVERS), _children_cpu()
        workers_before = sum(tree_cpu(w.pid) for w in running)
        started = time.perf_counter()
        subprocess.run([PYTHON, "-m", "hsctwatch", "--config", str(path), "crawl", "--quiet"], cwd=folder,
                       check=False, env=ENV)
        wall = time.perf_counter() - started
        for log in logs:  # each worker has reaped its crawl, so its CPU is counted
            while "done (exit status" not in log.read_text(encoding="utf-8"):
                time.sleep(0.1)
        crawl_cpu = sum(tree_cpu(w.pid) for w in running) - workers_before + _children_cpu() - seed_before
        servers = server_cpu(SERVERS) - servers_before
    finally:
        for worker in running:
            worker.terminate()
        for worker in running:
            try:
                worker.wait(timeout=90)
            except subprocess.TimeoutExpired:
                worker.kill()
    per_worker: dict[str, int] = {}
    for line in (folder / "stats.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        pages = int(record["stats"].get("hsctwatch/extract/pages", 0))
        per_worker[record["worker"]] = per_worker.get(record["worker"], 0) + pages
    figures = _figures(folder, store, wall, crawl_cpu, servers)
    figures["workers"] = workers
    figures["pages_per_worker"] = sorted(per_worker.values(), reverse=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="articles in the generated web")
    parser.add_argument("--quick", action="store_true", help="500 articles")
    options = parser.parse_args()
    if options.quick:
        options.articles = 500
    per_host = options.articles // len(HOSTS)
    report: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
                              "cores": os.cpu_count(), "machine": platform.machine(), "versions": versions(),
                              "articles": per_host * len(HOSTS), "load_average_before": os.getloadavg()}
    ports: Any = multiprocessing.Queue()
    web = multiprocessing.Process(target=serve, args=(per_host, ports), daemon=True)
    web.start()
    port = ports.get(timeout=60)
    folder = tempfile.mkdtemp(prefix="hsct-bench-cluster-")
    started_here = False
    try:
        postgres, redis, started_here = services(folder)
        print(f"generated web: {report['articles']} articles on {len(HOSTS)} hosts", flush=True)
        report["sqlite"] = one_process(Path(folder) / "sqlite", port, f"sqlite:///{folder}/sqlite.db")
        print(f"one process, SQLite: {report['sqlite']['stories_per_second']} stories/s", flush=True)
        report["postgresql"] = one_process(Path(folder) / "pg", port, fresh_database(postgres, "bench_one"))
        print(f"one process, PostgreSQL: {report['postgresql']['stories_per_second']} stories/s", flush=True)
        report["cluster"] = []
        for workers in (1, 2, 3):
            store = fresh_database(postgres, f"bench_cluster_{workers}")
            figures = cluster(Path(folder) / f"cluster{workers}", port, store, redis, workers)
            report["cluster"].append(figures)
            print(f"cluster, {workers} worker(s): {figures['stories_per_second']} stories/s "
                  f"(pages per worker {figures['pages_per_worker']})", flush=True)
    finally:
        web.terminate()
        if started_here:
            subprocess.run(["bash", str(ROOT / ".ci/services"), "stop", f"{folder}/services"], check=False)
        shutil.rmtree(folder, ignore_errors=True)
    report["load_average_after"] = os.getloadavg()  # other work on the machine slows every figure
    print_table(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cluster.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS / 'cluster.json'}")


def print_table(report: dict[str, Any]) -> None:
    rows = [("one process, SQLite", report["sqlite"]), ("one process, PostgreSQL", report["postgresql"])]
    rows += [(f"cluster, {c['workers']} worker(s), PostgreSQL", c) for c in report["cluster"]]
    print(f"\n{'crawl':38} {'stories':>7} {'stories/s':>9} {'store ms':>8} {'server ms':>9} {'CPU s':>6}")
    for name, f in rows:
        print(f"{name:38} {f['stories']:>7} {f['stories_per_second']:>9} {f['store_ms_per_story']:>8} "
              f"{f['server_cpu_ms_per_story']:>9} {f['crawl_cpu_seconds'] + f['server_cpu_seconds']:>6.1f}")


if __name__ == "__main__":
    main()
