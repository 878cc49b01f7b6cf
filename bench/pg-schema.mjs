// The generated PostgreSQL schema of bench/introspect.bench.mjs: N tables in `public`, each with
// an identity primary key, 7 columns, a CHECK and an index, and a foreign key to the previous
// table on every other table (the shape ENVIRONMENT.md's pg_dump reference figure was taken on).
// Also the "1% change" to it, both as SQL text (for the cold path that loads a schema file) and
// as an edit of an introspected model (for the plan benchmark, which needs no scratch load).

/** `t0042` for 42, zero-padded to the width of `count`. */
export function tableName(i, count) {
  return `t${String(i).padStart(String(count).length, '0')}`;
}

/**
 * Tables changed by the 1% change: `changed` tables spread evenly over the schema, half
 * gaining a column (`note text`), half an index (`<table>_code_idx` on `code`).
 *
 * @returns {{ addColumn: Set<string>, addIndex: Set<string> }}
 */
export function changedTables(count, changed) {
  const addColumn = new Set();
  const addIndex = new Set();
  const step = Math.floor(count / changed);
  for (let k = 0; k < changed; k++) {
    (k % 2 === 0 ? addColumn : addIndex).add(tableName(k * step + 1, count));
  }
  return { addColumn, addIndex };
}

/**
 * The schema as SQL statements, one string per table (CREATE TABLE and CREATE INDEX), in an
 * order that loads (a foreign key points at the table before). With `change`, the tables it
 * names get their extra column or index, as a user's edited schema.sql would.
 *
 * @param {number} count
 * @param {{ addColumn: Set<string>, addIndex: Set<string> }} [change]
 * @returns {string[]}
 */
export function schemaStatements(count, change) {
  const statements = [];
  for (let i = 1; i <= count; i++) {
    const t = tableName(i, count);
    const fk = i % 2 === 0 ? ` REFERENCES ${tableName(i - 1, count)} (id)` : '';
    const note = change?.addColumn.has(t) ? ',\n  note text' : '';
    const codeIndex = change?.addIndex.has(t) ? `\nCREATE INDEX ${t}_code_idx ON ${t} (code);` : '';
    statements.push(
      `CREATE TABLE ${t} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  code varchar(32),
  amount numeric(12,2) NOT NULL DEFAULT 0,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  parent_id bigint${fk}${note},
  CONSTRAINT ${t}_amount_check CHECK (amount >= 0)
);
CREATE INDEX ${t}_name_idx ON ${t} (name);${codeIndex}
`,
    );
  }
  return statements;
}

/**
 * The desired model for the 1% change, made from the introspected live model without touching
 * the database: a deep copy with `note text` appended to the tables in `change.addColumn` and
 * `<table>_code_idx` on `code` added to those in `change.addIndex`. New objects are copies of
 * ones introspection produced (the `name` column, the `<table>_name_idx` index), so they have
 * exactly the fields and normalisation introspection gives; a loaded schema.sql with the same
 * change must digest the same (the benchmark checks this).
 */
export function applyChange(live, change) {
  const desired = structuredClone(live);
  const ns = desired.namespaces.find((n) => n.name === 'public');
  if (!ns) throw new Error('the live model has no public schema');
  let edited = 0;
  for (const table of ns.tables) {
    if (change.addColumn.has(table.name)) {
      const template = table.columns.find((c) => c.name === 'name');
      if (!template) throw new Error(`${table.name} has no column "name"`);
      table.columns.push({ ...structuredClone(template), name: 'note', nullable: true });
      sortByName(table.columns);
      edited++;
    }
    if (change.addIndex.has(table.name)) {
      const template = table.indexes.find((i) => i.name === `${table.name}_name_idx`);
      if (!template) throw new Error(`${table.name} has no index ${table.name}_name_idx`);
      const index = structuredClone(template);
      index.name = `${table.name}_code_idx`;
      index.keys = index.keys.map((key) => ({ ...key, column: 'code' }));
      table.indexes.push(index);
      sortByName(table.indexes);
      edited++;
    }
  }
  const expected = change.addColumn.size + change.addIndex.size;
  if (edited !== expected) throw new Error(`changed ${edited} tables, expected ${expected}`);
  return desired;
}

/** The model's lists are sorted by name (byName in the agent), so its digest is canonical. */
function sortByName(items) {
  items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
