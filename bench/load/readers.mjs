// The load bench's API readers, in a process of their own: signed-in people and CI jobs reading
// the change list, the target catalog and single changes over HTTPS (no client certificate),
// each reader on its own kept-alive connection. A reader sends a request, waits for the whole
// answer, then "thinks" for a uniform random time in [0, 2 × thinkMs) — a closed loop with
// think time; thinkMs = 0 is a saturation test (each reader sends as soon as it is answered).
//
// Spec (JSON file, argv[2]): { url, caPem, readers, thinkMs, principals: [{ kind, token, routes:
// [{ route, paths }] }], rampSeconds, seconds }. Reader i reads as principals[i mod n]: each time
// a random route, then a random one of its paths. Figures count requests sent within the
// measured window (after the ramp).
import { requireFrom } from '../harness.mjs';
import { between, driver, failureKind, Recorder, sleep } from './stats.mjs';

const pick = (list) => list[Math.floor(Math.random() * list.length)];

await driver(async (spec) => {
  const undici = requireFrom('control-plane', 'undici');
  const dispatchers = Array.from(
    { length: spec.readers },
    () => new undici.Agent({ connections: 1, connect: { ca: spec.caPem } }),
  );
  return async () => {
    const started = performance.now();
    const measureFrom = started + spec.rampSeconds * 1000;
    const end = measureFrom + spec.seconds * 1000;
    const all = new Recorder();
    const ramp = new Recorder();
    const byRoute = {};
    await Promise.all(
      dispatchers.map(async (dispatcher, i) => {
        const principal = spec.principals[i % spec.principals.length];
        const headers = { authorization: `Bearer ${principal.token}` };
        await sleep(between(0, Math.max(1000, 2 * spec.thinkMs)));
        while (performance.now() < end) {
          const { route, paths } = pick(principal.routes);
          const path = pick(paths);
          const sent = performance.now();
          const measured = sent >= measureFrom;
          const name = `${route} (${principal.kind})`;
          if (measured && byRoute[name] === undefined) byRoute[name] = new Recorder();
          const recorders = measured ? [all, byRoute[name]] : [ramp];
          try {
            const response = await undici.request(`${spec.url}${path}`, {
              dispatcher,
              headers,
              headersTimeout: 30_000,
              bodyTimeout: 30_000,
            });
            await response.body.arrayBuffer();
            if (response.statusCode === 200) for (const r of recorders) r.ok(performance.now() - sent);
            else for (const r of recorders) r.fail(String(response.statusCode));
          } catch (error) {
            for (const r of recorders) r.fail(failureKind(error));
          }
          if (spec.thinkMs > 0) await sleep(between(0, 2 * spec.thinkMs));
        }
      }),
    );
    const result = {
      reader: all.summary(spec.seconds),
      ramp: ramp.summary(spec.rampSeconds),
      routes: Object.fromEntries(Object.entries(byRoute).map(([name, r]) => [name, r.summary(spec.seconds)])),
    };
    await Promise.all(dispatchers.map((d) => d.destroy()));
    return result;
  };
});
