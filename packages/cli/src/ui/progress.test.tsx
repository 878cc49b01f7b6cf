import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { Progress, progressWanted, withProgress } from './progress.js';

describe('progress on a terminal', () => {
  it('draws a spinner with the step and the time, and a bar once the steps are counted', () => {
    const spinner = render(<Progress label="Reading the schema" elapsedMs={1234} />);
    expect(spinner.lastFrame()).toMatch(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Reading the schema 1\.2 s$/);
    spinner.unmount();
    const bar = render(<Progress label="running the statements" step={{ index: 2, total: 5 }} elapsedMs={500} />);
    expect(bar.lastFrame()).toContain('[████████░░░░░░░░░░░░] 3/5 running the statements 0.5 s');
    bar.unmount();
  });

  it('stays silent off a terminal, in --json and in CI, and still runs the work', async () => {
    expect(progressWanted(true, {})).toBe(false);
    expect(progressWanted(false, { CI: 'true' })).toBe(false);
    const steps: string[] = [];
    const result = await withProgress(
      'Applying',
      async (update) => {
        update('checking the result', { index: 3, total: 5 });
        steps.push('ran');
        return 42;
      },
      false,
    );
    expect(result).toBe(42);
    expect(steps).toEqual(['ran']);
  });
});
