import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '../../../scripts/pg-server.mjs';

/**
 * A PostgreSQL server of the test's own — started the way the run's shared server is
 * (scripts/pg-server.mjs: Debian's binaries, initdb in a throwaway directory) — so that
 * restarting it disturbs no other test file. `restart()` is `pg_ctl restart -m fast`: every
 * connection is terminated, as by an administrator or a failover, and the server is back, on
 * the same port, when it returns.
 *
 * @example
 * const server = await dedicatedPostgres();
 * server.restart();
 * server.stop();
 */
export async function dedicatedPostgres(): Promise<
  PostgresServer & { restart(): void; databaseUrl(name: string): string }
> {
  const server = await startPostgres();
  const asUser = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  return {
    ...server,
    restart() {
      const [command, ...prefix] = [...asUser, join(server.bin, 'pg_ctl')];
      // -l: the postmaster must not inherit this process's pipes (execFileSync would wait on them).
      execFileSync(
        command as string,
        [
          ...prefix,
          '-D',
          server.data,
          '-m',
          'fast',
          '-w',
          '-t',
          '60',
          '-l',
          join(server.data, 'server.log'),
          'restart',
        ],
        { stdio: 'pipe' },
      );
    },
    databaseUrl(name: string) {
      const url = new URL(server.url);
      url.pathname = `/${name}`;
      return url.toString();
    },
  };
}
