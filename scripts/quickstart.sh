#!/usr/bin/env bash
# The README's first command: set up, then walk through Isotyp on embedded defaults — no
# outside services: the local data path on the Chinook sample database (SQLite), then the
# governed path through a local control plane. Safe to run again: everything is rebuilt.
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

say "isotyp suggest: the schema advisor, here at the site; every proposal is planned before it is shown"
isotyp suggest --target "sqlite:$DB"

say "The governed path: a control plane, a signed change request, a signed approval"
echo "isotyp server start runs the control plane on an embedded SQLite store. It brokers only:"
echo "digests, the privacy-filtered manifest and signatures — never rows, credentials or DDL."
CP_DB="$WORK/cp.db"
rm -f "$CP_DB" "$CP_DB-wal" "$CP_DB-shm"
rm -rf "$WORK/admin-home" "$WORK/reviewer-home"
CP_PORT="${ISOTYP_QUICKSTART_PORT:-7399}"
CP_URL="http://127.0.0.1:$CP_PORT"
ADMIN_PASSWORD="quickstart-admin-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
REVIEWER_PASSWORD="quickstart-reviewer-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
# Started as node itself (not through the isotyp function) so $! is the server's pid.
ISOTYP_ADMIN_PASSWORD="$ADMIN_PASSWORD" node packages/cli/bin/run.js server start --port "$CP_PORT" --db "sqlite:$CP_DB" \
  --org acme --admin-email admin@acme.test --log-level warn >"$WORK/server.log" 2>&1 &
CP_PID=$!
trap 'kill "$CP_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$CP_URL/readyz" && break
  kill -0 "$CP_PID" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.1
done
echo "control plane on $CP_URL"
admin() { ISOTYP_HOME="$WORK/admin-home" ISOTYP_SERVER="$CP_URL" isotyp "$@"; }
reviewer() { ISOTYP_HOME="$WORK/reviewer-home" ISOTYP_SERVER="$CP_URL" isotyp "$@"; }

say "The admin signs in, adds a reviewer, and each makes an approver key (private half stays local)"
printf '%s' "$ADMIN_PASSWORD" | admin login --org acme --email admin@acme.test --password-stdin
printf '%s' "$REVIEWER_PASSWORD" | admin users create --email reviewer@acme.test --role approver --password-stdin
admin keys generate
printf '%s' "$REVIEWER_PASSWORD" | reviewer login --org acme --email reviewer@acme.test --password-stdin
reviewer keys generate

say "isotyp org init: the org root key signs the approver keyring and the approval policy"
admin org init

say "The catalog: a project, its prod environment (privacy mode structure), the Chinook target"
admin projects create shop
admin envs create prod --project shop --privacy-mode structure
admin targets create chinook --env prod --project shop --dialect sqlite

say "isotyp submit: the plan as digests and a manifest, signed by its author"
echo "A fresh copy of Chinook stands in for the production database."
PROD_DB="$WORK/chinook-prod.db"
node examples/chinook-sqlite/create-db.mjs "$PROD_DB" >/dev/null
isotyp plan --target "sqlite:$PROD_DB" --schema examples/chinook-sqlite/schema.sql --out "$WORK/plan.json" >/dev/null
CHANGE=$(admin submit --plan "$WORK/plan.json" --env prod --project shop --target chinook --json |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')
admin changes show "$CHANGE"

say "The author may not approve their own change (separation of duties)"
admin approve "$CHANGE" || echo "(exit code $?)"

say "isotyp approve: the reviewer signs the approval with their own key"
reviewer approve "$CHANGE"
admin changes list

say "isotyp apply --change: a CI job applies it, after verifying every signature itself"
echo "The job holds a token scoped to apply in prod, the target's id and the pinned org root key id;"
echo "it plans against the database, checks that exactly this plan is approved, then applies."
CI_TOKEN=$(admin tokens create --name quickstart-deploy --env prod --project shop --actions apply --json |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))')
TARGET_ID=$(admin targets list --project shop --env prod --json |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].id))')
ORG_ROOT=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).keyId)' "$WORK/admin-home/keys/org-root.key")
rm -rf "$WORK/ci-home"
ISOTYP_HOME="$WORK/ci-home" ISOTYP_SERVER="$CP_URL" ISOTYP_TOKEN="$CI_TOKEN" isotyp apply --change "$CHANGE" \
  --target "sqlite:$PROD_DB" --schema examples/chinook-sqlite/schema.sql --target-id "$TARGET_ID" --env prod \
  --org-root "$ORG_ROOT" --ci --actor ci:quickstart
admin changes show "$CHANGE"

say "The web console: the same review in a browser, signing there with a key that never leaves it"
node -e 'fetch(process.argv[1]).then(async (r) => console.log(r.status, (await r.text()).match(/<title>([^<]*)/)[1]))' "$CP_URL/console/sign-in"
echo "Run isotyp server start and open http://127.0.0.1:7300/console (docs/concepts/console.md)."
kill "$CP_PID" 2>/dev/null || true
wait "$CP_PID" 2>/dev/null || true
trap - EXIT

say "Errors carry a stable code and a hint"
isotyp inspect --target sqlite:does-not-exist.db || echo "(exit code $?)"

say "Done"
echo "Next: isotyp --help, isotyp errors list, and docs/concepts/ for the trust model and the control plane."
