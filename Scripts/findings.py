"""What the validators in this folder share: run a check on every file named on the command
line, print one line per problem, and exit 1 if there was any (0, silently, if not)."""
import os
import sys


def report(check):
    """Runs check(path) -> [problem] on each argument and exits with the verdict."""
    paths = sys.argv[1:]
    if not paths:
        print(f"usage: {os.path.basename(sys.argv[0])} FILE...", file=sys.stderr)
        sys.exit(2)
    failed = False
    for path in paths:
        for problem in check(path):
            print(f"{path}: {problem}")
            failed = True
    sys.exit(1 if failed else 0)
