import { spawn } from 'node:child_process';
import type { RaceAnswer, RaceJob } from './race-child.js';

/** A long-lived applier process: give it a job, get its answer. */
export interface Applier {
  run(job: Omit<RaceJob, 'id'>): Promise<RaceAnswer>;
  stop(): Promise<void>;
}

/**
 * Starts `count` applier processes from the bundled race child (see bundle.ts), each with its
 * own connections, ready for jobs.
 */
export function startAppliers(bundle: string, count: number): Applier[] {
  return Array.from({ length: count }, () => startApplier(bundle));
}

function startApplier(bundle: string): Applier {
  const child = spawn(process.execPath, [bundle], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  let buffered = '';
  let nextId = 0;
  const pending = new Map<number, { resolve: (a: RaceAnswer) => void; reject: (e: Error) => void }>();
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    buffered += text;
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      const answer = JSON.parse(buffered.slice(0, end)) as RaceAnswer;
      buffered = buffered.slice(end + 1);
      pending.get(answer.id)?.resolve(answer);
      pending.delete(answer.id);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const exited = new Promise<void>((resolve) =>
    child.on('close', (code, signal) => {
      for (const waiter of pending.values()) waiter.reject(new Error(`applier exited (${code ?? signal}): ${stderr}`));
      pending.clear();
      resolve();
    }),
  );
  return {
    run(job) {
      const id = nextId++;
      return new Promise<RaceAnswer>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.stdin.write(`${JSON.stringify({ ...job, id })}\n`);
      });
    },
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}
