import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliAsync, scratchHome } from '../services/control-plane/test-support/run-cli-async.js';

/* Shell completion (oclif's autocomplete plugin) knows every isotyp command and its flags. */
describe('isotyp autocomplete', () => {
  it('builds bash and zsh completions naming the commands and their flags', async () => {
    const home = scratchHome();
    const setup = await runCliAsync(['autocomplete', 'bash'], { home });
    expect(setup.status, setup.stderr).toBe(0);
    expect(setup.stdout).toContain('isotyp autocomplete script bash');
    expect(setup.stderr).not.toContain('Node version must be');
    const bash = readFileSync(
      join(home, '.cache', 'isotyp', 'autocomplete', 'functions', 'bash', 'isotyp.bash'),
      'utf8',
    );
    for (const command of ['suggestions:submit', 'suggest', 'doctor', 'apply']) expect(bash).toContain(command);
    expect(bash).toContain('--read-data');
    const script = await runCliAsync(['autocomplete', 'script', 'zsh'], { home });
    expect(script.status).toBe(0);
    expect(script.stdout).toContain('ISOTYP_AC_ZSH_SETUP_PATH');
  });
});
