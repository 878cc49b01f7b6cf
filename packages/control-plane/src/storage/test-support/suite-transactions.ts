import { describe, expect, it } from 'vitest';
import { at, auditEntry, quietStamp, seedOrg } from './fixtures.js';
import type { CurrentStore } from './store-suite.js';

/**
 * `Store.atomically`: what the write routes run in (middleware/transaction.ts). A change and the
 * audit entry announcing it commit together or not at all, others never read what is not
 * committed, and the cache stamps move only once the transaction has ended.
 */
export function transactionCases(store: CurrentStore): void {
  describe('transactions', () => {
    const project = (orgId: string, id: string) => ({ id, orgId, name: id, createdAt: at(20) });

    it('commit every write made inside, audit entries included', async () => {
      const s = await seedOrg(store());
      const size = await store().audit.size();
      const entry = await store().atomically(async () => {
        await store().projects.create(project(s.orgId, 'prj_in'));
        return store().audit.append(auditEntry(s.orgId, 'project.create', 'prj_in'));
      });
      expect(entry.seq).toBe(size);
      expect(await store().projects.get(s.orgId, 'prj_in')).toBeDefined();
      expect(await store().audit.size()).toBe(size + 1);
    });

    it('run statements started together inside one in turn, each with its own answer', async () => {
      const s = await seedOrg(store());
      const size = await store().audit.size();
      const warnings: string[] = [];
      const onWarning = (warning: Error) => warnings.push(warning.message);
      process.on('warning', onWarning);
      try {
        const ids = ['prj_t1', 'prj_t2', 'prj_t3', 'prj_t4'];
        const answers = await store().atomically(async () => {
          // What a handler does with Promise.all: writes, reads, an audit entry, all at once.
          await Promise.all(ids.map((id) => store().projects.create(project(s.orgId, id))));
          return Promise.all([
            ...ids.map((id) => store().projects.get(s.orgId, id)),
            store().audit.append(auditEntry(s.orgId, 'project.create', 'prj_t1')),
            store().projects.get(s.orgId, 'prj_absent'),
          ]);
        });
        expect(answers.slice(0, 4).map((p) => (p as { id: string } | undefined)?.id)).toEqual(ids);
        expect((answers[4] as { seq: number }).seq).toBe(size);
        expect(answers[5]).toBeUndefined();
        await new Promise((resolve) => setImmediate(resolve));
        expect(warnings.filter((w) => /already executing a query/.test(w))).toEqual([]);
      } finally {
        process.off('warning', onWarning);
      }
    });

    it('keep nothing of a transaction whose work throws, and pass on what it threw', async () => {
      const s = await seedOrg(store());
      const size = await store().audit.size();
      const failure = new Error('the handler broke after writing');
      await expect(
        store().atomically(async () => {
          await store().projects.create(project(s.orgId, 'prj_gone'));
          await store().audit.append(auditEntry(s.orgId, 'project.create', 'prj_gone'));
          // Its own writes are visible inside.
          expect(await store().projects.get(s.orgId, 'prj_gone')).toBeDefined();
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await store().projects.get(s.orgId, 'prj_gone')).toBeUndefined();
      expect(await store().audit.size()).toBe(size);
      // The seq that was rolled back is taken by the next entry: the log has no gap.
      const next = await store().audit.append(auditEntry(s.orgId, 'project.create', 'prj_next'));
      expect(next.seq).toBe(size);
    });

    it('hide uncommitted writes from work outside the transaction until the commit', async () => {
      const s = await seedOrg(store());
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let written = () => {};
      const wrote = new Promise<void>((resolve) => {
        written = resolve;
      });
      const transaction = store().atomically(async () => {
        await store().projects.create(project(s.orgId, 'prj_late'));
        written();
        await held;
      });
      await wrote;
      // Outside: either not yet visible (PostgreSQL) or waiting for the commit (SQLite's one
      // connection) — never visible while the transaction may still roll back.
      let seen: boolean | undefined;
      const read = store()
        .projects.get(s.orgId, 'prj_late')
        .then((found) => {
          seen = found !== undefined;
        });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(seen === undefined || seen === false).toBe(true);
      release();
      await transaction;
      await read;
      expect(await store().projects.get(s.orgId, 'prj_late')).toBeDefined();
    });

    it('answer no stamp inside for what was written, and move its stamp once committed', async () => {
      const s = await seedOrg(store());
      const before = await quietStamp(store(), ['projects']);
      await store().atomically(async () => {
        // Nothing written yet: reads are of committed rows and may be cached.
        expect(store().stamp(['projects'])).toBe(before);
        await store().projects.create(project(s.orgId, 'prj_stamped'));
        expect(store().stamp(['projects'])).toBeUndefined();
        expect(store().stamp(['users'])).toBeDefined();
      });
      const after = store().stamp(['projects']);
      expect(after).toBeDefined();
      expect(after).not.toBe(before);
    });

    it('run transactions one after another when they overlap, each whole', async () => {
      const s = await seedOrg(store());
      const size = await store().audit.size();
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store().atomically(async () => {
            await store().projects.create(project(s.orgId, `prj_${i}`));
            await new Promise((resolve) => setTimeout(resolve, 5));
            await store().audit.append(auditEntry(s.orgId, 'project.create', `prj_${i}`));
          }),
        ),
      );
      expect(await store().audit.size()).toBe(size + 8);
      const entries = await store().audit.range(size, size + 8);
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 8 }, (_, i) => size + i));
    });
  });
}
