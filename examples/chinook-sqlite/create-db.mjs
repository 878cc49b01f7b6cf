#!/usr/bin/env node
// Builds a fresh Chinook SQLite database from chinook.sql: `node create-db.mjs <path>`.
// An existing file at <path> is replaced, so the example can be run again and again.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const target = resolve(process.argv[2] ?? 'chinook.db');
const script = readFileSync(fileURLToPath(new URL('./chinook.sql', import.meta.url)), 'utf8');
mkdirSync(dirname(target), { recursive: true });

// Build beside the target and rename, so a half-built file is never left at <path>.
const building = `${target}.building`;
rmSync(building, { force: true });
const db = new Database(building);
db.exec(script);
db.close();
if (existsSync(target)) rmSync(target);
renameSync(building, target);
console.log(target);
