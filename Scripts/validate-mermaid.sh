#!/usr/bin/env bash
# Parses a Mermaid diagram (a file, or standard input) with Mermaid's grammar under Node.js;
# exit 0 when it parses, 1 when it does not. `bash Scripts/bootstrap.sh --tests` installs the
# parser (in .build/test-tools, or the folder PEDIGREE_TEST_TOOLS names) and Node.js.
set -euo pipefail
tools=${PEDIGREE_TEST_TOOLS:-$(cd "$(dirname "$0")/.." && pwd)/.build/test-tools}
parser="$tools/mermaid_parser/lib/mermaid_syntax_parser.cjs"
[ -s "$parser" ] || { echo "validate-mermaid: $parser is missing; run bash Scripts/bootstrap.sh --tests" >&2; exit 2; }
node -e '
  const parse = require(process.argv[1]).ValidateMermaid;
  const source = require("fs").readFileSync(process.argv[2] || 0, "utf8");
  Promise.resolve(parse(source)).then(ok => {
    if (!ok) { console.error("validate-mermaid: the diagram does not parse"); process.exit(1); }
  });
' "$parser" "${1:-}"
