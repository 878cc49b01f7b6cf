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

say "The governed path: a control plane over HTTPS, people with their own keys, an agent, two signed layers"
echo "isotyp server start runs the control plane on an embedded SQLite store. It brokers only:"
echo "digests, the privacy-filtered manifest and signatures — never rows, credentials or DDL."
CP_DB="$WORK/cp.db"
rm -f "$CP_DB" "$CP_DB-wal" "$CP_DB-shm" "$CP_DB.ca-passphrase"
rm -rf "$WORK/admin-home" "$WORK/reviewer-home" "$WORK/dba-home" "$WORK/agent-home"
CP_PORT="${ISOTYP_QUICKSTART_PORT:-7399}"
CP_URL="https://127.0.0.1:$CP_PORT"
CA="$WORK/ca.pem"
rm -f "$CA"
secret() { printf 'quickstart-%s-%s' "$1" "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"; }
ADMIN_PASSWORD="$(secret admin)"
REVIEWER_PASSWORD="$(secret reviewer)"
DBA_PASSWORD="$(secret dba)"
# Started as node itself (not through the isotyp function) so $! is the server's pid. --tls: its
# certificate comes from its own agent CA, which agents pin at enrolment and people trust here.
ISOTYP_ADMIN_PASSWORD="$ADMIN_PASSWORD" node packages/cli/bin/run.js server start --tls --write-ca "$CA" \
  --port "$CP_PORT" --db "sqlite:$CP_DB" --org acme --admin-email admin@acme.test --log-level warn >"$WORK/server.log" 2>&1 &
CP_PID=$!
AGENT_PID=""
trap 'kill $AGENT_PID "$CP_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do
  [ -f "$CA" ] && NODE_EXTRA_CA_CERTS="$CA" node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$CP_URL/readyz" && break
  kill -0 "$CP_PID" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.1
done
export NODE_EXTRA_CA_CERTS="$CA"
echo "control plane on $CP_URL (its CA certificate in ${CA#"$ROOT"/}, trusted through NODE_EXTRA_CA_CERTS)"
as() { local who="$1"; shift; ISOTYP_HOME="$WORK/$who-home" ISOTYP_SERVER="$CP_URL" isotyp "$@"; }
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let v=JSON.parse(s);for(const k of process.argv[1].split("."))v=v[k];console.log(v)})' "$1"; }

say "People: the admin signs in and adds a reviewer and a DBA; each makes an approver key (the private half stays local)"
printf '%s' "$ADMIN_PASSWORD" | as admin login --org acme --email admin@acme.test --password-stdin
printf '%s' "$REVIEWER_PASSWORD" | as admin users create --email reviewer@acme.test --role approver --password-stdin
printf '%s' "$DBA_PASSWORD" | as admin users create --email dba@acme.test --role dba --password-stdin
printf '%s' "$REVIEWER_PASSWORD" | as reviewer login --org acme --email reviewer@acme.test --password-stdin
printf '%s' "$DBA_PASSWORD" | as dba login --org acme --email dba@acme.test --password-stdin
for who in admin reviewer dba; do as "$who" keys generate; done

say "isotyp org init: the org root key signs the approver keyring and the approval policy"
as admin org init
echo "Every change needs two layers here: a reviewer's and a DBA's signature."
printf 'layers:\n  - { name: review, required: 1, role: approver }\n  - { name: dba, required: 1, role: dba }\n' >"$WORK/policy.yaml"
as admin org set-policy --file "$WORK/policy.yaml"

say "The catalog: a project, its prod environment (privacy mode structure), the Chinook target"
as admin projects create shop
as admin envs create prod --project shop --privacy-mode structure
as admin targets create chinook --env prod --project shop --dialect sqlite

say "An agent beside the database: enrolled with a one-time token, pinning the CA by its fingerprint"
echo "A fresh copy of Chinook stands in for the production database."
PROD_DB="$WORK/chinook-prod.db"
node examples/chinook-sqlite/create-db.mjs "$PROD_DB" >/dev/null
cp examples/chinook-sqlite/schema.sql "$WORK/desired.sql"
TOKEN_JSON=$(as admin agents token quickstart-agent --json)
ISOTYP_HOME="$WORK/agent-home" ISOTYP_ENROLMENT_TOKEN="$(echo "$TOKEN_JSON" | json token)" \
  isotyp agent enroll --url "$CP_URL" --ca-fingerprint "$(echo "$TOKEN_JSON" | json caFingerprint)"
as admin targets assign chinook --project shop --agent quickstart-agent
printf 'targets:\n  chinook:\n    url: sqlite:%s\n    schema: %s\n    environment: prod\n' "$PROD_DB" "$WORK/desired.sql" >"$WORK/agent.yaml"
# This checkout's build is signed by its development release key (scripts/release-manifest.mjs);
# the daemon runs only a build signed by a key it trusts.
DEV_KEY=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(".artifacts/release/dev-key.json","utf8")).publicKey)')
ISOTYP_HOME="$WORK/agent-home" ISOTYP_RELEASE_KEYS="$DEV_KEY" node packages/cli/bin/run.js agent start \
  --config "$WORK/agent.yaml" --health-port 0 >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
echo "isotyp agent start is running (log: ${WORK#"$ROOT"/}/agent.log): it dials out over mutual TLS, never in."

say "isotyp submit: the plan as digests and a manifest, signed by its author"
isotyp plan --target "sqlite:$PROD_DB" --schema "$WORK/desired.sql" --out "$WORK/plan.json" >/dev/null
CHANGE=$(as admin submit --plan "$WORK/plan.json" --env prod --project shop --target chinook --json | json id)
as admin changes show "$CHANGE"

say "The author may not approve their own change (separation of duties)"
as admin approve "$CHANGE" || echo "(exit code $?)"

say "isotyp approve, twice: the reviewer signs the review layer, the DBA the dba layer"
as reviewer approve "$CHANGE" --layer review
as dba approve "$CHANGE" --layer dba

say "The agent applies it on its own: it verifies every signature against the org root it pinned,"
echo "re-plans against the database, checks that exactly this plan is approved, then applies."
for _ in $(seq 1 300); do
  state=$(as admin changes show "$CHANGE" --json | json state)
  [ "$state" = applied ] || [ "$state" = failed ] && break
  kill -0 "$AGENT_PID" 2>/dev/null || { cat "$WORK/agent.log"; exit 1; }
  sleep 0.2
done
as admin changes show "$CHANGE"
[ "$state" = applied ] || { echo "The change is $state; the agent's log:"; cat "$WORK/agent.log"; exit 1; }

say "The audit proof: the agent's own log holds the apply; anyone with its checkpoint can check it"
ISOTYP_HOME="$WORK/agent-home" isotyp audit log
SEQ=$(ISOTYP_HOME="$WORK/agent-home" isotyp audit log --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const e=JSON.parse(s);const list=Array.isArray(e)?e:e.entries;console.log(list.find((x)=>x.action==="change.apply").seq)})')
ISOTYP_HOME="$WORK/agent-home" isotyp audit proof --seq "$SEQ"
ISOTYP_HOME="$WORK/agent-home" isotyp audit verify
echo "The control plane's own log tells the change's story too:"
as admin audit history "change:$CHANGE" || true

say "The web console: the same review in a browser, signing there with a key that never leaves it"
node -e 'fetch(process.argv[1]).then(async (r) => console.log(r.status, (await r.text()).match(/<title>([^<]*)/)[1]))' "$CP_URL/console/sign-in"
echo "Run isotyp server start and open http://127.0.0.1:7300/console (docs/concepts/console.md)."

say "Stopping the agent and the control plane"
kill "$AGENT_PID" "$CP_PID" 2>/dev/null || true
wait "$AGENT_PID" 2>/dev/null || true
wait "$CP_PID" 2>/dev/null || true
trap - EXIT
unset NODE_EXTRA_CA_CERTS

say "Errors carry a stable code and a hint"
isotyp inspect --target sqlite:does-not-exist.db || echo "(exit code $?)"

say "Done"
echo "Next: isotyp --help, isotyp errors list, and docs/concepts/ for the trust model and the control plane."
