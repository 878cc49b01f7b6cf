import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { CliResult } from '../../../test-support/run-cli.js';
import { type LiveControlPlane, startLiveControlPlane } from './live-control-plane.js';
import { runCliAsync, scratchHome } from './run-cli-async.js';

/*
 * The cast of the people-and-changes tests, run as the built binary against the real control
 * plane (`runControlPlane`, SQLite store, loopback HTTP). Ana is the organisation's first admin and
 * writes a change; Ben (approver) and Carl (dba) review it; Dave is a dba in one project only,
 * so his key stays out of the keyring. Each person has their own $HOME.
 *
 * Carl also holds `approver`: the server's RBAC gives `change:approve` to approvers and admins
 * only, so a person who is only a dba cannot sign the policy's dba layer.
 */
export const org = 'acme';
export const people = {
  ana: { email: 'ana@acme.test', roles: ['admin'] },
  ben: { email: 'ben@acme.test', roles: ['approver'] },
  carl: { email: 'carl@acme.test', roles: ['approver', 'dba'] },
  dave: { email: 'dave@acme.test', roles: ['dba'] },
} as const;
export type Person = keyof typeof people;
export const everyone = Object.keys(people) as Person[];
export const password = (who: Person) => `${who}-s3cret-passphrase`;

export interface AcmePeople {
  readonly cp: LiveControlPlane;
  readonly adminToken: string;
  /** Server-made user ids. */
  readonly ids: Record<Person, string>;
  readonly homes: Record<Person, string>;
  isotypHome(who: Person): string;
  /** Runs the CLI as `who`, and fails the test if its output shows any secret the test knows of. */
  run(who: Person, args: string[], options?: { input?: string; env?: Record<string, string> }): Promise<CliResult>;
  /** `run` with `--json`: checks a clean exit and an empty stderr, and answers the parsed output. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers.
  json(who: Person, args: string[]): Promise<any>;
  /** The approver key `isotyp keys generate` left in `who`'s home. */
  seedOf(who: Person): { keyId: string; publicKey: string; seed: string };
  expectNoSecrets(result: CliResult, known: string[]): void;
}

/**
 * Starts the control plane with Ana as its first admin and the others as users (Dave's grant is
 * on the project `lab`), before the file's tests; closes it after them.
 */
export function acmePeople(): AcmePeople {
  let cp: LiveControlPlane | undefined;
  let adminToken = '';
  const ids = {} as Record<Person, string>;
  const homes = Object.fromEntries(everyone.map((who) => [who, scratchHome()])) as Record<Person, string>;
  const isotypHome = (who: Person) => join(homes[who], '.isotyp');
  const live = () => {
    if (cp === undefined) throw new Error('The control plane starts in beforeAll.');
    return cp;
  };

  beforeAll(async () => {
    cp = await startLiveControlPlane({ org, admin: { email: people.ana.email, password: password('ana') } });
    adminToken = await cp.login(people.ana.email, password('ana'));
    ids.ana = (await cp.ok('GET', '/v1/auth/whoami', { token: adminToken })).userId;
    // Dave's grant names a project, which must exist first.
    const lab = await cp.ok('POST', '/v1/projects', { token: adminToken, body: { name: 'lab' } });
    for (const who of ['ben', 'carl', 'dave'] as const) {
      const scope = who === 'dave' ? { kind: 'project' as const, projectId: lab.id } : { kind: 'org' as const };
      ids[who] = await cp.createUser(adminToken, {
        email: people[who].email,
        password: password(who),
        grants: people[who].roles.map((role) => ({ role, scope })),
      });
    }
  });
  afterAll(async () => {
    await cp?.close();
  });

  /**
   * Every secret the test knows of: the passwords, the session tokens and the private-key seeds in
   * each person's $ISOTYP_HOME. No command may print any of them, in text, JSON or an error.
   */
  const secrets = (): string[] => {
    const found: string[] = everyone.map(password);
    for (const who of everyone) {
      const session = join(isotypHome(who), 'session.json');
      if (existsSync(session)) {
        const { accessToken, refreshToken } = JSON.parse(readFileSync(session, 'utf8'));
        found.push(accessToken, refreshToken);
      }
      const keys = join(isotypHome(who), 'keys');
      for (const file of existsSync(keys) ? readdirSync(keys) : []) {
        found.push(JSON.parse(readFileSync(join(keys, file), 'utf8')).seed);
      }
    }
    return found;
  };
  const expectNoSecrets = (result: CliResult, known: string[]): void => {
    const shown = `${result.stdout}${result.stderr}`;
    for (const secret of known) expect(shown).not.toContain(secret);
  };
  const run: AcmePeople['run'] = async (who, args, options = {}) => {
    // Read before as well as after: `logout` deletes the session it must not have printed.
    const before = secrets();
    const result = await runCliAsync(args, {
      home: homes[who],
      input: options.input ?? '',
      env: { ISOTYP_SERVER: live().url, ...options.env },
    });
    expectNoSecrets(result, [...before, ...secrets()]);
    return result;
  };

  return {
    get cp() {
      return live();
    },
    get adminToken() {
      return adminToken;
    },
    ids,
    homes,
    isotypHome,
    run,
    async json(who, args) {
      const result = await run(who, [...args, '--json']);
      expect(result.stderr).toBe('');
      expect(result.status, result.stdout).toBe(0);
      return JSON.parse(result.stdout);
    },
    seedOf: (who) => JSON.parse(readFileSync(join(isotypHome(who), 'keys', 'approver.key'), 'utf8')),
    expectNoSecrets,
  };
}
