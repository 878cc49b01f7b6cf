#!/usr/bin/env bash
# The README's first command: set up, then walk through Isotyp on embedded defaults — no
# outside services. Today: build the Chinook sample database on SQLite and inspect it. Safe to
# run again: the database is rebuilt from scratch each time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
isotyp() { node packages/cli/bin/run.js "$@"; }

say "Setting up (system packages, pnpm, dependencies, build)"
mkdir -p .artifacts
bash scripts/setup.sh >.artifacts/setup.log 2>&1 || {
  cat .artifacts/setup.log
  echo "Set-up failed; the log is above (also in .artifacts/setup.log)." >&2
  exit 1
}

WORK="$ROOT/.isotyp-tmp"
DB="$WORK/chinook.db"
mkdir -p "$WORK"

say "Building the Chinook sample database (SQLite, ~15,000 rows) at ${DB#"$ROOT"/}"
node examples/chinook-sqlite/create-db.mjs "$DB" >/dev/null

say "isotyp inspect --target sqlite:${DB#"$ROOT"/}"
echo "The agent reads the live schema into Isotyp's neutral model and digests its canonical JSON."
isotyp inspect --target "sqlite:$DB"

say "The digest depends on the schema, never on the rows"
before=$(isotyp inspect --target "sqlite:$DB" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).digest))')
node -e '
  const Database = require(require.resolve("better-sqlite3", { paths: ["examples/chinook-sqlite"] }));
  const db = new Database(process.argv[1]);
  db.prepare("INSERT INTO Genre (GenreId, Name) VALUES (?, ?)").run(1000, "Quickstart");
  db.close();' "$DB"
after_insert=$(isotyp inspect --target "sqlite:$DB" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).digest))')
echo "after inserting a row:   $after_insert ($([ "$before" = "$after_insert" ] && echo unchanged || echo CHANGED))"
node -e '
  const Database = require(require.resolve("better-sqlite3", { paths: ["examples/chinook-sqlite"] }));
  const db = new Database(process.argv[1]);
  db.exec("ALTER TABLE Album ADD COLUMN ReleaseYear INTEGER");
  db.close();' "$DB"
after_alter=$(isotyp inspect --target "sqlite:$DB" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).digest))')
echo "after adding a column:   $after_alter ($([ "$before" = "$after_alter" ] && echo unchanged || echo changed))"

say "isotyp plan: what it takes to reach examples/chinook-sqlite/schema.sql"
echo "The schema file is loaded into an in-memory SQLite database (SQLite decides what it means),"
echo "introspected, and diffed against the live database. Nothing is changed yet."
node examples/chinook-sqlite/create-db.mjs "$DB" >/dev/null
isotyp plan --target "sqlite:$DB" --schema examples/chinook-sqlite/schema.sql --out "$WORK/plan.json"

say "isotyp apply: under a lock, only if the live digest is the plan's fromDigest"
isotyp apply --target "sqlite:$DB" --plan "$WORK/plan.json" --yes --actor quickstart

say "isotyp drift: the live schema is what Isotyp last applied"
isotyp drift --target "sqlite:$DB"

say "A second apply of the same plan is refused"
isotyp apply --target "sqlite:$DB" --plan "$WORK/plan.json" --yes || echo "(exit code $?)"

say "isotyp rollback: the recorded down statements restore the original schema"
isotyp rollback --target "sqlite:$DB" --yes --actor quickstart

say "Errors carry a stable code and a hint"
isotyp inspect --target sqlite:does-not-exist.db || echo "(exit code $?)"

say "Done"
echo "Next: isotyp --help, isotyp errors list, and docs/concepts/ for the trust model."
