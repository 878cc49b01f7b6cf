#!/usr/bin/env node
// Checks that every `isotyp …` command line in the given files (workflows, unit files, READMEs)
// names a command that exists and only flags that command has — against the built CLI's command
// manifest (packages/cli/oclif.manifest.json). The examples' smoke scripts run it, so an example
// cannot drift from the CLI it shows.
//   node scripts/check-isotyp-usage.mjs FILE...
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const manifest = JSON.parse(
  readFileSync(fileURLToPath(new URL('../packages/cli/oclif.manifest.json', import.meta.url)), 'utf8'),
);
const commands = manifest.commands;
const common = new Set(['json', 'verbose', 'help']);
let problems = 0;
let checked = 0;

for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8').replace(/\\\n\s*/g, ' ');
  // `isotyp …` or `node …/run.js …`, up to the end of the line or a shell operator.
  for (const match of text.matchAll(/(?:\bisotyp|bin\/run\.js)\s+([^\n|;&)`#]*)/g)) {
    const words = match[1]
      .trim()
      .split(/\s+/)
      .map((w) => w.replace(/[:,.`'"]+$/, ''))
      .filter(Boolean);
    if (words.length === 0 || words[0].startsWith('<') || /^[A-Z]/.test(words[0])) continue;
    let id;
    let used = 0;
    for (let n = Math.min(3, words.length); n >= 1; n--) {
      const candidate = words.slice(0, n).join(':');
      if (commands[candidate] !== undefined) {
        id = candidate;
        used = n;
        break;
      }
    }
    if (id === undefined) {
      // Prose ("as the isotyp user") names no command; a topic with an unknown verb is a mistake.
      // (A lone topic is a phrase cut by a line break.)
      if (words.length === 1 || !Object.keys(commands).some((c) => c.startsWith(`${words[0]}:`))) continue;
      console.error(`${file}: no command "isotyp ${words.slice(0, 2).join(' ')}"`);
      problems++;
      continue;
    }
    checked++;
    const flags = commands[id].flags ?? {};
    for (const word of words.slice(used)) {
      const flag = /^--([a-z][a-z0-9-]*)/.exec(word)?.[1];
      if (flag !== undefined && flags[flag] === undefined && !common.has(flag)) {
        console.error(`${file}: isotyp ${id.replaceAll(':', ' ')} has no flag --${flag}`);
        problems++;
      }
    }
  }
}
if (problems > 0) process.exit(1);
console.log(`${checked} isotyp command line(s) checked: every command and flag exists`);
