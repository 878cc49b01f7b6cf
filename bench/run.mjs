#!/usr/bin/env node
// `pnpm bench [filter...]`: runs every bench/*.bench.mjs (or those whose file name contains
// one of the filters) and prints their figures as tables. Also writes each benchmark's rows to
// .artifacts/bench/<name>.json so figures can be compared between runs and machines.
//
// A benchmark module exports `title` and a default async function returning
// { groups: [{ title, rows }], notes: [string] }, rows as made by runTasks() in harness.mjs
// (rows may also carry `medianMs`, shown in a median column; load tests such as
// control-plane.bench.mjs carry `p95Ms` and `ofBare`, the share of a baseline's ops/s, and
// leave `rme` out; they may carry `ofBestBare`, the share of a second baseline's ops/s, and
// `serverCpuMs`, the server's CPU time per operation; memory measurements carry `rssMiB` and
// `rssMaxMiB` instead and get a table of their own). A result with `failed: 'why'` is printed,
// then counted as a failure.
// Benchmarks import workspace packages from their build output, so run `pnpm build` first.
// BENCH_TIME_MS sets the time spent on each task (default 500 ms). `pnpm bench` runs node with
// --expose-gc so each task starts on a clean heap (see harness.mjs).
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ROOT, TASK_TIME_MS } from './harness.mjs';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const OUT_DIR = `${ROOT}.artifacts/bench`;

const filters = process.argv.slice(2);
// bench/*.bench.mjs, and bench/<folder>/*.bench.mjs for a benchmark with modules of its own (bench/load/).
const available = readdirSync(BENCH_DIR, { withFileTypes: true }).flatMap((entry) => {
  if (entry.isDirectory()) {
    return readdirSync(`${BENCH_DIR}${entry.name}`)
      .filter((f) => f.endsWith('.bench.mjs'))
      .map((f) => `${entry.name}/${f}`);
  }
  return entry.name.endsWith('.bench.mjs') ? [entry.name] : [];
});
const files = available.filter((f) => filters.length === 0 || filters.some((filter) => f.includes(filter))).sort();

if (files.length === 0) {
  console.error(`No benchmark matches ${filters.join(', ')}. Available:`);
  for (const f of available) console.error(`  ${f}`);
  process.exit(1);
}

/** 1234567.8 -> "1,234,568"; small numbers keep significant digits. */
function formatNumber(n) {
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** Milliseconds as the most readable unit. */
function formatDuration(ms) {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  if (ms >= 0.001) return `${(ms * 1000).toFixed(2)} µs`;
  return `${(ms * 1e6).toFixed(0)} ns`;
}

/** Rows of a memory measurement (agent-idle.bench.mjs): task, median and max resident MiB. */
function printMemoryTable(rows) {
  const header = ['task', 'RSS median', 'RSS max', 'samples'];
  const lines = rows.map((r) => [
    r.task,
    `${r.rssMiB.toFixed(1)} MiB`,
    `${r.rssMaxMiB.toFixed(1)} MiB`,
    String(r.samples),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`  ${format(header)}`);
  console.log(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const line of lines) console.log(`  ${format(line)}`);
}

function printTable(rows) {
  if (rows.every((r) => r.rssMiB !== undefined)) {
    printMemoryTable(rows);
    return;
  }
  const hasMB = rows.some((r) => r.mbPerSec !== undefined);
  // Benchmarks of a few slow runs (introspect.bench.mjs) report their median too.
  const hasMedian = rows.some((r) => r.medianMs !== undefined);
  // Load tests (control-plane.bench.mjs) report p95 and a share of a baseline's ops/s.
  const hasP95 = rows.some((r) => r.p95Ms !== undefined);
  const hasOfBare = rows.some((r) => r.ofBare !== undefined);
  const hasOfBestBare = rows.some((r) => r.ofBestBare !== undefined);
  const hasCpu = rows.some((r) => r.serverCpuMs !== undefined);
  const header = [
    'task',
    'ops/s',
    ...(hasOfBare ? ['of bare'] : []),
    ...(hasOfBestBare ? ['of best bare'] : []),
    ...(hasMedian ? ['median'] : []),
    'mean',
    ...(hasP95 ? ['p95'] : []),
    'p99',
    '± %',
    'samples',
    ...(hasCpu ? ['server CPU/req'] : []),
  ];
  if (hasMB) header.push('MB/s');
  const lines = rows.map((r) => [
    r.task,
    formatNumber(r.opsPerSec),
    ...(hasOfBare ? [r.ofBare === undefined ? '' : `${(r.ofBare * 100).toFixed(0)}%`] : []),
    ...(hasOfBestBare ? [r.ofBestBare === undefined ? '' : `${(r.ofBestBare * 100).toFixed(0)}%`] : []),
    ...(hasMedian ? [r.medianMs === undefined ? '' : formatDuration(r.medianMs)] : []),
    formatDuration(r.meanMs),
    ...(hasP95 ? [r.p95Ms === undefined ? '' : formatDuration(r.p95Ms)] : []),
    formatDuration(r.p99Ms),
    r.rme === undefined ? '' : r.rme.toFixed(2),
    String(r.samples),
    ...(hasCpu ? [r.serverCpuMs === undefined ? '' : formatDuration(r.serverCpuMs)] : []),
    ...(hasMB ? [r.mbPerSec === undefined ? '' : formatNumber(r.mbPerSec)] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  // The task name is left-aligned, figures right-aligned so their magnitudes line up.
  const format = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`  ${format(header)}`);
  console.log(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const line of lines) console.log(`  ${format(line)}`);
}

const cpus = os.cpus();
console.log(
  `Node ${process.version}, ${os.platform()}-${os.arch()}, ${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}; ` +
    `${TASK_TIME_MS} ms per task`,
);

mkdirSync(OUT_DIR, { recursive: true });
const started = performance.now();
let failures = 0;
for (const file of files) {
  const name = file.replace(/^.*\//, '').replace(/\.bench\.mjs$/, '');
  const benchStarted = performance.now();
  try {
    const mod = await import(pathToFileURL(`${BENCH_DIR}${file}`).href);
    console.log(`\n## ${mod.title ?? name}`);
    const result = await mod.default();
    for (const group of result.groups) {
      console.log(`\n${group.title}`);
      printTable(group.rows);
    }
    if (result.notes?.length) {
      console.log('');
      for (const note of result.notes) console.log(`  * ${note}`);
    }
    // A benchmark whose figures are invalid (e.g. error answers under load) still shows them,
    // then fails the run.
    if (result.failed) {
      failures += 1;
      console.error(`\n${file} failed: ${result.failed}`);
    }
    writeFileSync(
      `${OUT_DIR}/${name}.json`,
      `${JSON.stringify({ name, node: process.version, cpus: cpus.length, date: new Date().toISOString(), ...result }, null, 2)}\n`,
    );
    console.log(`\n  (${name}: ${((performance.now() - benchStarted) / 1000).toFixed(1)} s)`);
  } catch (error) {
    failures += 1;
    console.error(`\n${file} failed: ${error.stack ?? error}`);
  }
}
console.log(`\nbench: ${files.length} file(s) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exitCode = failures > 0 ? 1 : 0;
