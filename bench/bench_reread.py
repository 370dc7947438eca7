"""The dashboard's re-read after one page changed, step by step, in CPU seconds; with ``--baseline`` another
tree's beside this one's, alternating.

    python -m bench.bench_reread --stories 100000 --rounds 3 [--baseline TREE] [--work DIR] [--profile]

On a hard-linked copy of ``bench/corpus/stories-<n>`` (in ``--work``): one cold read
(``components.data.read_collection``) into a cache (kept in ``--work`` for the next run), copied for each
tree; one round that changes a page
and reads again with each tree (the lookups an update starts from, written by each tree itself); then
``--rounds`` rounds of one story added at the top of one page (as ``bench.bench_scale``) and a re-read by
each tree, in a new process each, alternating which goes first. Each step is the CPU seconds
(``time.process_time``) of the functions the re-read calls: the ingest, the full-text index, the theme
memberships, and those of ``Collection.prepare`` and ``components.warm.ready``. Prints the median of the
rounds per step; checks that both trees give the same stories, threads, memberships and filter options.
Writes ``bench/out/reread.json`` (``--json``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import OUT, ROOT, ensure_corpus, load_average, page_files, python_command, table, write_json

#: (module, owner or "", function, step): wrapped in the child to time each step.
STEPS = (
    ("core.storing.collection", "", "ingest", "ingest"),
    ("core.storing.search", "SearchIndex", "open", "full-text index"),
    ("core.storing.collection", "", "_memberships", "theme memberships"),
    ("core.storing.collection", "Collection", "member_rows", "member rows"),
    ("core.storing.collection", "Collection", "themes_by_article", "themes by story"),
    ("core.storing.collection", "Collection", "headlines_by_id", "headlines by id"),
    ("core.storing.collection", "Collection", "threads", "story threads"),
    ("core.storing.collection", "Collection", "filter_options", "filter options"),
    ("core.storing.collection", "Collection", "term_background", "terms background"),
)


def child(tree: Path, pages: Path, cache: Path, profile: Path | None) -> dict[str, Any]:
    """One re-read by ``tree``'s code in this (new) process: CPU seconds of each step and of the whole."""
    os.environ["CAIXIN_CACHE"] = str(cache)
    os.environ["CAIXIN_UPLOADS"] = str(cache / "no-uploads")
    sys.path[:0] = [str(tree), str(tree / "dashboard")]
    import importlib

    stages: dict[str, float] = {}
    depth = [0]

    def wrap(owner: Any, name: str, step: str) -> None:
        function = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            depth[0] += 1
            try:
                return function(*args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0 or step != "full-text index":  # the index opened for changed stories' themes
                    stages[step] = stages.get(step, 0.0) + time.process_time() - started

        setattr(owner, name, timed)

    for module_name, owner_name, name, step in STEPS:
        module = importlib.import_module(module_name)
        wrap(getattr(module, owner_name) if owner_name else module, name, step)
    data = importlib.import_module("components.data")
    import cProfile

    profiler = cProfile.Profile() if profile else None
    started, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    collection = data.read_collection((str(pages),))
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(profile))
    cpu = time.process_time() - started
    digest = hashlib.sha256()
    for frame in (collection.articles[["article_id", "headline"]], collection.threads(), collection.memberships):
        digest.update(frame.to_csv(index=False).encode())
    digest.update(json.dumps(collection.filter_options()).encode())
    files = collection.files
    return {
        "cpu_s": cpu,
        "wall_s": time.perf_counter() - wall,
        "stories": len(collection.articles),
        "stages": stages,
        "digest": digest.hexdigest()[:16],
        "updated": sorted(files.updated) if files is not None else [],
        "loaded": sorted(files.loaded) if files is not None else [],
    }


def run_child(tree: Path, pages: Path, cache: Path, profile: Path | None = None) -> dict[str, Any]:
    command = [*python_command(), "-m", "bench.bench_reread", "--child", str(tree), str(pages), str(cache)]
    if profile:
        command.append(str(profile))
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"re-read by {tree} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--child":
        tree, pages, cache = (Path(a) for a in sys.argv[2:5])
        profile = Path(sys.argv[5]) if len(sys.argv) > 5 else None
        print(json.dumps(child(tree, pages, cache, profile)))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.bench_reread", description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another tree (e.g. git archive main | tar -x -C DIR)")
    parser.add_argument("--work", type=Path, help="work folder (kept; default a temporary one, removed)")
    parser.add_argument("--profile", action="store_true", help="cProfile each re-read into the work folder")
    parser.add_argument("--json", type=Path, default=OUT / "reread.json")
    args = parser.parse_args(argv)
    from bench.bench_ingest import change_page, hard_linked_copy
    from bench.bench_scale import add_story

    corpus = ensure_corpus(args.stories)
    trees = {"current": ROOT} if args.baseline is None else {"baseline": args.baseline, "current": ROOT}
    work = args.work or Path(tempfile.mkdtemp(prefix="reread-"))
    try:
        pages = work / "pages"
        if not pages.exists():
            hard_linked_copy(corpus, pages)
        files = page_files(pages)
        changed = files[len(files) // 2]
        if args.work is not None and (work / "cache-cold").exists():
            print(f"  cold read: the cache of an earlier run in {work}", flush=True)
        else:
            cold = run_child(ROOT, pages, work / "cache-cold")
            print(f"  cold read: {cold['cpu_s']:.1f} CPU s, {cold['stories']:,} stories", flush=True)
        for name in trees:
            shutil.rmtree(work / f"cache-{name}", ignore_errors=True)
            shutil.copytree(work / "cache-cold", work / f"cache-{name}")
        change_page(files[len(files) // 3], 1)
        for name, tree in trees.items():  # each tree's own lookups of a generation, to update from
            run_child(tree, pages, work / f"cache-{name}")
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
        # a new story each round, also after the rounds of an earlier run in the same --work folder (the
        # same story again would merge with itself: the frame and its index unchanged)
        added = work / "stories-added"
        last = int(added.read_text()) if added.exists() else 0
        for number in range(args.rounds):
            while True:  # some seeds generate a page of no story (a listing): the next one then
                last += 1
                try:
                    add_story(changed, 100 + last)
                    break
                except RuntimeError:
                    continue
            added.write_text(str(last))
            order = list(trees) if number % 2 == 0 else list(reversed(trees))
            for name in order:
                profile = work / f"{name}-{number + 1}.prof" if args.profile else None
                result = run_child(trees[name], pages, work / f"cache-{name}", profile)
                runs[name].append(result)
                print(
                    f"  round {number + 1}, {name}: {result['cpu_s']:.2f} CPU s, {result['wall_s']:.2f} s, "
                    f"{result['stories']:,} stories, updated {result['updated']}; load average {load_average()}",
                    flush=True,
                )
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    names = list(trees)
    identical = all(len({runs[n][i]["digest"] for n in names}) == 1 for i in range(args.rounds))
    print(f"same stories, threads, memberships and filter options from every tree in every round: {identical}")
    headers = ["re-read after one page changed (median CPU s)", *names]
    rows: list[list[Any]] = [
        ["whole re-read", *(statistics.median(r["cpu_s"] for r in runs[n]) for n in names)],
        ["  (wall s)", *(statistics.median(r["wall_s"] for r in runs[n]) for n in names)],
    ]
    for step in [*dict.fromkeys(s for *_, s in STEPS), "other"]:
        values = []
        for n in names:
            if step == "other":
                values.append(statistics.median(r["cpu_s"] - sum(r["stages"].values()) for r in runs[n]))
            else:
                values.append(statistics.median(r["stages"].get(step, 0.0) for r in runs[n]))
        rows.append([f"  {step}", *values])
    print()
    print(table(headers, rows))
    write_json(args.json, {"benchmark": "reread", "runs": runs, "identical": identical, "load": load_average()})
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
