import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { ApplyJob, ChildEvent } from './apply-child.js';

/** A running apply-child.ts: its events so far, and the means to start, kill and await it. */
export interface ApplierProcess {
  /** Every event the child has written so far, in order. */
  readonly events: ChildEvent[];
  /** Resolves once the child has loaded the agent and read the plan. */
  ready: Promise<void>;
  /** Tells it to start applying; resolves with the time (performance.now) it was told. */
  go(): number;
  kill(): void;
  /** The exit: code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** stderr so far, for failure messages. */
  stderr(): string;
}

/**
 * Spawns the bundled apply child (see bundle.ts) for `job`. The child waits for go(), so the
 * cost of starting Node is not part of the window a kill is timed in.
 */
export function spawnApplier(bundle: string, job: ApplyJob): ApplierProcess {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [bundle, JSON.stringify(job)], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const events: ChildEvent[] = [];
  let errors = '';
  let buffered = '';
  let onReady: () => void = () => {};
  let onFail: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    buffered += text;
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      const event = JSON.parse(buffered.slice(0, end)) as ChildEvent;
      buffered = buffered.slice(end + 1);
      events.push(event);
      if (event.event === 'ready') onReady();
    }
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    errors += text;
  });
  // A killed child's stdin may already be closed when go() writes: that is not an error here.
  child.stdin.on('error', () => {});
  // Awaited by whoever uses the child; a child killed before that must not be an unhandled rejection.
  ready.catch(() => {});
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      onFail(new Error(`the applier exited before it was ready (${code ?? signal}): ${errors}`));
      resolve({ code, signal });
    }),
  );
  return {
    events,
    ready,
    go() {
      child.stdin.write('go\n');
      return performance.now();
    },
    kill() {
      child.kill('SIGKILL');
    },
    exited,
    stderr: () => errors,
  };
}
