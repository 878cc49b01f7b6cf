import { Text } from 'ink';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const BAR_WIDTH = 20;

export interface ProgressState {
  label: string;
  /** Steps done and in all, for a bar; absent for a spinner alone. */
  step?: { index: number; total: number } | undefined;
  elapsedMs: number;
}

/** A spinner, the current step, a bar when the steps are counted, and the time so far. */
export function Progress(props: ProgressState) {
  const frame = FRAMES[Math.floor(props.elapsedMs / 80) % FRAMES.length];
  const seconds = (props.elapsedMs / 1000).toFixed(1);
  if (props.step === undefined) {
    return (
      <Text>
        <Text color="cyan">{frame}</Text> {props.label} <Text dimColor>{seconds} s</Text>
      </Text>
    );
  }
  const filled = Math.round((BAR_WIDTH * props.step.index) / props.step.total);
  return (
    <Text>
      <Text color="cyan">{frame}</Text> [<Text color="green">{'█'.repeat(filled)}</Text>
      {'░'.repeat(BAR_WIDTH - filled)}] {props.step.index + 1}/{props.step.total} {props.label}{' '}
      <Text dimColor>{seconds} s</Text>
    </Text>
  );
}

/** Whether to draw progress: on a terminal, not in --json, not in CI logs. */
export function progressWanted(json: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return process.stderr.isTTY === true && !json && (env.CI === undefined || env.CI === '' || env.CI === 'false');
}

/**
 * Runs `work`, drawing a spinner (and a bar once `update` reports counted steps) on stderr while
 * it runs when `enabled`, and erasing it afterwards so only the command's own lines remain. When
 * not enabled it just runs `work`: no output at all.
 *
 * @example
 * const result = await withProgress('Planning', (update) => plan(update), progressWanted(json));
 */
export async function withProgress<T>(
  label: string,
  work: (update: (label: string, step?: { index: number; total: number }) => void) => Promise<T>,
  enabled: boolean,
): Promise<T> {
  if (!enabled) return work(() => undefined);
  const { render } = await import('ink');
  const started = Date.now();
  let state: ProgressState = { label, elapsedMs: 0 };
  const view = render(<Progress {...state} />, { stdout: process.stderr, patchConsole: false, exitOnCtrlC: false });
  const draw = () => view.rerender(<Progress {...state} elapsedMs={Date.now() - started} />);
  const timer = setInterval(draw, 80);
  try {
    return await work((next, step) => {
      state = { label: next, step, elapsedMs: Date.now() - started };
      draw();
    });
  } finally {
    clearInterval(timer);
    view.clear();
    view.unmount();
  }
}
