import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ControlPlaneClient } from '../control-plane/client.js';
import { isotypError, startScriptedServer } from '../control-plane/test-support/scripted-server.js';
import { drainReports, openReportQueue } from './report-queue.js';

/*
 * The report queue against a loopback server that is away (503, then a dropped connection), then
 * back: nothing is lost, order is kept, and a report the control plane refuses for good is dropped
 * rather than sent for ever.
 */
describe('the report queue', () => {
  it('keeps reports while the control plane is away and delivers them, in order, when it is back', async () => {
    const env = { ISOTYP_HOME: join(mkdtempSync(join(tmpdir(), 'isotyp-reports-')), '.isotyp') };
    let away = 2;
    const server = await startScriptedServer({
      'POST /v1/changes/{id}/transitions': (request) => {
        if (away > 0) {
          away--;
          return away === 1 ? isotypError('ISOTYP_UNAVAILABLE', 'Down for maintenance.') : { status: 0, destroy: true };
        }
        if (request.params.id === 'chg_gone') return isotypError('ISOTYP_INVALID_STATE', 'Already applied.');
        return { status: 200, body: { id: request.params.id, state: 'applied' } };
      },
    });
    const client = new ControlPlaneClient({ server: server.url, retries: 0 });
    const queue = openReportQueue(env);
    try {
      queue.add('/v1/changes/chg_1/transitions', { to: 'applied', digest: 'sha256:1' });
      queue.add('/v1/changes/chg_gone/transitions', { to: 'applied', digest: 'sha256:2' });
      queue.add('/v1/changes/chg_3/transitions', { to: 'applied', digest: 'sha256:3' });

      expect(await drainReports(client, queue)).toEqual({ delivered: 0, left: 3 });
      expect(await drainReports(client, queue)).toEqual({ delivered: 0, left: 3 });
      expect(queue.list().map((r) => r.path)).toEqual([
        '/v1/changes/chg_1/transitions',
        '/v1/changes/chg_gone/transitions',
        '/v1/changes/chg_3/transitions',
      ]);

      const refused: string[] = [];
      expect(
        await drainReports(client, queue, (report, error) => refused.push(`${report.path} ${error.code}`)),
      ).toEqual({
        delivered: 3,
        left: 0,
      });
      expect(refused).toEqual(['/v1/changes/chg_gone/transitions ISOTYP_INVALID_STATE']);
      expect(queue.list()).toEqual([]);
      const delivered = server.requests.filter((r) => r.method === 'POST').slice(-3);
      expect(delivered.map((r) => [r.params.id, r.body])).toEqual([
        ['chg_1', { to: 'applied', digest: 'sha256:1' }],
        ['chg_gone', { to: 'applied', digest: 'sha256:2' }],
        ['chg_3', { to: 'applied', digest: 'sha256:3' }],
      ]);
    } finally {
      queue.close();
      await server.close();
    }
  });

  it('survives the process: a report queued by one run is there for the next', async () => {
    const env = { ISOTYP_HOME: join(mkdtempSync(join(tmpdir(), 'isotyp-reports-')), '.isotyp') };
    const first = openReportQueue(env);
    first.add('/v1/changes/chg_1/transitions', { to: 'applied', digest: 'sha256:1' });
    first.close();
    const second = openReportQueue(env);
    expect(second.list().map((r) => r.body)).toEqual([{ to: 'applied', digest: 'sha256:1' }]);
    second.close();
  });
});
