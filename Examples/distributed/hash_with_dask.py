#!/usr/bin/env python3
"""Hash models on a Dask cluster, then sign each from the gathered digests.

Every worker runs `pedigree hash --json` on its share of a model's files (read from storage
all workers see at the same path); the client gathers the reports into one list per model and
runs `pedigree sign MODEL --digests LIST`, which checks that the list covers exactly the
model's files with their sizes, re-hashes a sample if asked (--spot-check), and signs without
reading the data again. Dask does the scheduling, the transport and the retries: there is no
scheduler, queue or network code here.

    python hash_with_dask.py MODEL [MODEL ...] --key KEY [--scheduler tcp://HOST:8786] [-- SIGN ARGS]

Without --scheduler a LocalCluster is started on this machine (what the tests run).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

from dask.distributed import Client, LocalCluster


def list_files(model):
    """The regular files of a model folder, relative to it, with their sizes; `.git` is skipped
    (pedigree leaves it out of every manifest)."""
    files = []
    for folder, subfolders, names in os.walk(model):
        subfolders[:] = sorted(d for d in subfolders if d != ".git")
        for name in sorted(names):
            path = os.path.join(folder, name)
            if os.path.isfile(path) and not os.path.islink(path):
                files.append((os.path.relpath(path, model), os.path.getsize(path)))
    return files


def shares(files, files_per_task, bytes_per_task):
    """Splits files into tasks of at most `files_per_task` files or about `bytes_per_task`
    bytes, so one huge file is a task of its own and small files travel together."""
    task, size = [], 0
    for name, length in files:
        if task and (len(task) >= files_per_task or size + length > bytes_per_task):
            yield task
            task, size = [], 0
        task.append(name)
        size += length
    if task:
        yield task


def hash_share(model, names, pedigree, jobs):
    """Runs on a worker: `pedigree hash --json` over some files of `model`, named relative to
    it (so the report's paths are the manifest's names). Returns the report's rows."""
    command = [pedigree, "hash", "--json", "--quiet"]
    if jobs:
        command += ["--jobs", str(jobs)]
    done = subprocess.run(command + ["--"] + names, cwd=model, capture_output=True, text=True)
    if done.returncode not in (0, 1) or not done.stdout:
        raise RuntimeError(f"pedigree hash failed on {model}: {done.stderr.strip()}")
    return json.loads(done.stdout)["files"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", metavar="MODEL", help="model folders, on storage every worker sees")
    parser.add_argument("--key", required=True, help="the private key pedigree signs with")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler (default: start a LocalCluster)")
    parser.add_argument("--workers", type=int, default=2, help="workers of the LocalCluster (default 2)")
    parser.add_argument("--pedigree", default=shutil.which("pedigree") or "pedigree",
                        help="the pedigree executable, at this path on every worker (default: from PATH)")
    parser.add_argument("--files-per-task", type=int, default=1000, help="most files per task (default 1000)")
    parser.add_argument("--bytes-per-task", type=int, default=4 << 30, help="about this many bytes per task (default 4 GiB)")
    parser.add_argument("--jobs", type=int, help="--jobs for each worker's pedigree hash (default: its processors)")
    parser.epilog = "Arguments after -- go to pedigree sign (e.g. --spot-check 1%%, --license ID, --force)."
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    sign_args = argv[split + 1:]
    models = [os.path.abspath(model) for model in args.models]

    if args.scheduler:
        client = Client(args.scheduler)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=":0")
        client = Client(cluster)
    try:
        # Every share of every model is submitted at once; the cluster balances them.
        futures = {}
        for model in models:
            files = list_files(model)
            if not files:
                sys.exit(f"{model}: no files to hash")
            futures[model] = [
                client.submit(hash_share, model, names, args.pedigree, args.jobs, pure=False)
                for names in shares(files, args.files_per_task, args.bytes_per_task)
            ]
            print(f"{model}: {len(files)} files in {len(futures[model])} tasks", file=sys.stderr)
        failed = False
        for model in models:
            results = [row for share in client.gather(futures[model]) for row in share]
            errors = [row for row in results if row.get("status") != "ok"]
            for row in errors:
                print(f"{model}/{row['path']}: {row.get('error', row.get('status'))}", file=sys.stderr)
            if errors:
                failed = True
                continue
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as listing:
                json.dump({"version": 1, "command": "hash", "mode": "hash", "files": results}, listing)
            try:
                command = [args.pedigree, "sign", model, "--key", args.key, "--digests", listing.name] + sign_args
                failed |= subprocess.run(command).returncode != 0
            finally:
                os.unlink(listing.name)
        return 1 if failed else 0
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


if __name__ == "__main__":
    sys.exit(main())
