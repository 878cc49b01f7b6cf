import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';

export default class AgentStart extends IsotypCommand {
  static override summary =
    'Run the agent in the foreground: heartbeats, certificate renewal, approved changes applied.';
  static override description =
    'Dials out only. Each round: a heartbeat when due (version and live schema digests), certificate renewal when due, and a long poll for approved changes on the targets in its care (an admin assigns them: POST /v1/targets/{id}/agent). Each change goes through the zero-trust apply — planned here, every signature verified here against the org root pinned at enrolment — then the control plane hears applied or failed. A change refused here is not retried by this process. Unreachable control plane: exponential backoff. SIGTERM or SIGINT: stops after the apply under way. Logs are JSON lines on stdout.';
  static override examples = [
    {
      description: 'With the targets it serves in a file.',
      command: '<%= config.bin %> <%= command.id %> --config /etc/isotyp/agent.yaml',
    },
  ];
  static override flags = {
    'skip-verify': Flags.boolean({
      summary: 'Start even when the installed files do not match the signed release manifest (not for production).',
    }),
    'health-port': Flags.integer({
      summary: 'Serve GET /healthz on 127.0.0.1 at this port (0: any free port, logged) for a supervisor to probe.',
      min: 0,
      max: 65535,
    }),
    config: Flags.string({
      char: 'c',
      summary: 'Agent configuration (YAML or JSON): targets: { NAME: { url, schema, environment } }.',
      required: true,
      env: 'ISOTYP_AGENT_CONFIG',
    }),
  };

  async run(): Promise<{ agentId: string; stopped: true }> {
    const { flags } = await this.parse(AgentStart);
    const [{ readAgentConfig, startDaemon }, { pino }] = await Promise.all([
      import('../../services/agent/daemon.js'),
      import('pino'),
    ]);
    const logger = pino(
      { level: 'info', timestamp: pino.stdTimeFunctions.isoTime },
      pino.destination({ dest: 1, sync: true }),
    );
    // A tampered installation must not run with this machine's keys: refuse unless overridden.
    if (flags['skip-verify']) logger.warn('installation not verified (--skip-verify)');
    else {
      const { verifyThisInstallation } = await import('../../services/agent/verify.js');
      const check = verifyThisInstallation();
      logger.info({ version: check.version, channel: check.channel, signer: check.signer }, 'installation verified');
    }
    const daemon = startDaemon(readAgentConfig(flags.config), logger);
    logger.info({ agentId: daemon.agentId }, 'agent started');
    const healthServer =
      flags['health-port'] === undefined ? undefined : await serveHealth(flags['health-port'], daemon.health, logger);
    const stop = () => {
      logger.info('stopping');
      daemon.stop();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    await daemon.done;
    healthServer?.close();
    logger.info('agent stopped');
    // A long poll still open is abandoned, not waited for.
    this.exit(0);
    return { agentId: daemon.agentId, stopped: true };
  }
}

/** GET /healthz on loopback: 200 with the daemon's state when healthy, 503 when degraded. */
async function serveHealth(
  port: number,
  health: () => { status: string },
  logger: { info(fields: object, message: string): void },
): Promise<import('node:http').Server> {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/healthz') {
      res.writeHead(404).end();
      return;
    }
    const state = health();
    res.writeHead(state.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify(state));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  logger.info({ url: `http://127.0.0.1:${address.port}/healthz` }, 'health endpoint listening');
  return server;
}
