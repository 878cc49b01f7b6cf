import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { IsotypError, parseJson } from '@isotyp/protocol';
import { z } from 'zod';

/**
 * Project configuration, read in one place: `isotyp.json` in the working directory (or the
 * file named by --config / ISOTYP_CONFIG). Only settings that belong to the project live here;
 * secrets never do.
 */
const configSchema = z.strictObject({
  lint: z
    .strictObject({
      rules: z.record(z.string(), z.enum(['error', 'warning', 'info', 'off'])).optional(),
    })
    .optional(),
});
export type ProjectConfig = z.infer<typeof configSchema>;

export const DEFAULT_CONFIG_FILE = 'isotyp.json';

export function loadProjectConfig(path?: string): ProjectConfig {
  const file = path ?? DEFAULT_CONFIG_FILE;
  if (!existsSync(file)) {
    if (path === undefined) return {};
    throw new IsotypError('ISOTYP_FILE_NOT_FOUND', `The configuration file ${file} does not exist.`, {
      hint: 'Pass --config with the path of your isotyp.json, or drop the flag.',
    });
  }
  const parsed = configSchema.safeParse(parseJson(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new IsotypError('ISOTYP_CONFIG_INVALID', `${file} is not a valid Isotyp configuration.`, {
      hint: 'Example: {"lint": {"rules": {"destructive/drop-column": "warning", "hygiene/no-primary-key": "off"}}}',
      details: { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) },
    });
  }
  return parsed.data;
}

/** The agent's state directory: $ISOTYP_HOME, else ~/.isotyp. */
export function isotypHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.ISOTYP_HOME !== undefined && env.ISOTYP_HOME !== '' ? env.ISOTYP_HOME : join(homedir(), '.isotyp');
}
