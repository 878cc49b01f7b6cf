const { Hono } = await import('/work/main/node_modules/.pnpm/hono@4.13.19/node_modules/hono/dist/index.js');
const D = '/work/main/packages/control-plane/dist';
const { createLogger } = await import(`${D}/logger.js`);
const { startServer } = await import(`${D}/server.js`);
const mode = process.argv[2];
const bytes = new Uint8Array(Buffer.alloc(1150, 'x'));
const app = new Hono();
app.get('/x', (c) => mode === 'raw'
  ? new Response(bytes, { status: 200, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', vary: 'Accept-Encoding', 'content-length': String(bytes.byteLength) } })
  : c.body(bytes, 200, { 'content-type': 'application/json', 'content-encoding': 'gzip', vary: 'Accept-Encoding' }));
const s = await startServer({ app, host: '127.0.0.1', port: 0, logger: createLogger({ level: 'silent' }) });
console.log(s.url);
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
