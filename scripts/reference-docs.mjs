#!/usr/bin/env node
// Writes the reference docs from the sources of truth, so they cannot drift from the code:
//   docs/reference/cli.md       from the CLI's oclif command manifest (every command, flag, example)
//   docs/reference/api.md       from the control plane's OpenAPI 3.1 document (every route)
//   docs/reference/openapi.json the document itself
// Run after `pnpm build` (it reads the built packages); `node scripts/reference-docs.mjs --check`
// exits 1 when the committed files differ from what the code says (the test suite runs that).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'docs', 'reference');
const check = process.argv.includes('--check');

function cliReference() {
  const manifest = JSON.parse(readFileSync(join(root, 'packages/cli/oclif.manifest.json'), 'utf8'));
  const pkg = JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8'));
  const topics = pkg.oclif.topics ?? {};
  const commands = Object.values(manifest.commands)
    .filter((c) => !c.hidden)
    .sort((a, b) => a.id.localeCompare(b.id));
  const lines = [
    '# CLI reference',
    '',
    'Generated from the `isotyp` command manifest by `scripts/reference-docs.mjs`; do not edit by hand.',
    'Every command also takes `--json` (the result as JSON; errors as `{"error":{"code","message","hint","retryable"}}`)',
    'and `--verbose`. Exit codes: `isotyp errors list`.',
    '',
  ];
  let topic = '';
  for (const command of commands) {
    const [head] = command.id.split(':');
    const name = command.id.replaceAll(':', ' ');
    if (command.id.includes(':') && head !== topic) {
      topic = head;
      lines.push(`## ${head}`, '', topics[head]?.description ?? '', '');
    } else if (!command.id.includes(':')) topic = '';
    lines.push(`### isotyp ${name}`, '', command.summary ?? command.description ?? '', '');
    if (command.description && command.description !== command.summary) lines.push(command.description, '');
    const args = Object.values(command.args ?? {});
    const flags = Object.entries(command.flags ?? {}).filter(
      ([flag, f]) => !f.hidden && !['json', 'verbose'].includes(flag),
    );
    if (args.length + flags.length > 0) {
      lines.push('| argument / flag | what |', '|---|---|');
      for (const a of args) lines.push(`| \`${a.name}\`${a.required ? ' (required)' : ''} | ${cell(a.description)} |`);
      for (const [flag, f] of flags) {
        const spelled = `--${flag}${f.char ? `, -${f.char}` : ''}${f.type === 'option' ? ' VALUE' : ''}`;
        const extra = [
          f.required ? 'required' : '',
          f.default !== undefined && f.default !== false && !(Array.isArray(f.default) && f.default.length === 0)
            ? `default ${f.default}`
            : '',
          f.options ? `one of ${f.options.join(', ')}` : '',
          f.env ? `env ${f.env}` : '',
        ].filter(Boolean);
        lines.push(
          `| \`${spelled}\` | ${cell(f.summary ?? f.description)}${extra.length ? ` (${extra.join('; ')})` : ''} |`,
        );
      }
      lines.push('');
    }
    for (const example of command.examples ?? []) {
      const { description, command: text } = typeof example === 'string' ? { command: example } : example;
      const shell = text.replaceAll('<%= config.bin %>', 'isotyp').replaceAll('<%= command.id %>', name);
      lines.push(...(description ? [`${description}`, ''] : []), '```bash', shell, '```', '');
    }
  }
  return `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

const cell = (text) =>
  String(text ?? '')
    .replaceAll('|', '\\|')
    .replaceAll('\n', ' ');

async function apiReference() {
  const cp = await import(pathToFileURL(join(root, 'packages/control-plane/dist/index.js')).href);
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-openapi-'));
  const store = await cp.openStore(`sqlite:${join(dir, 'cp.db')}`);
  try {
    const config = cp.resolveConfig({
      database: `sqlite:${join(dir, 'cp.db')}`,
      port: 0,
      caPassphrase: 'reference-docs-only-00000000',
    });
    const app = cp.createApp({ store, logger: cp.createLogger({ level: 'silent' }), config });
    const document = await (await app.request('/v1/openapi.json')).json();
    const lines = [
      '# HTTP API reference',
      '',
      'Generated from the control plane’s OpenAPI 3.1 document (`GET /v1/openapi.json`, also in',
      '[openapi.json](openapi.json)) by `scripts/reference-docs.mjs`; do not edit by hand. Errors are',
      '`{"error": {"code", "message", "hint?", "retryable", "requestId"}}` with the status of the code',
      '(`isotyp errors list`).',
      '',
      '| method | path | what |',
      '|---|---|---|',
    ];
    for (const path of Object.keys(document.paths).sort()) {
      for (const [method, op] of Object.entries(document.paths[path])) {
        lines.push(`| ${method.toUpperCase()} | \`${path}\` | ${cell(op.summary ?? op.description ?? '')} |`);
      }
    }
    return { markdown: `${lines.join('\n')}\n`, json: `${JSON.stringify(document, null, 2)}\n` };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const api = await apiReference();
const files = { 'cli.md': cliReference(), 'api.md': api.markdown, 'openapi.json': api.json };
if (check) {
  const stale = Object.entries(files).filter(([name, text]) => {
    try {
      return readFileSync(join(out, name), 'utf8') !== text;
    } catch {
      return true;
    }
  });
  if (stale.length > 0) {
    console.error(
      `docs/reference is out of date: ${stale.map(([n]) => n).join(', ')}. Run node scripts/reference-docs.mjs.`,
    );
    process.exit(1);
  }
  console.log('docs/reference is up to date');
} else {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(out, name), text);
  console.log(`wrote docs/reference/{${Object.keys(files).join(',')}}`);
}
