import { Command, Option } from 'commander';
import { action, VERSION } from '../cli/program.js';
import { CliError, UsageError } from '../cli/errors.js';

interface BrokerOptions {
  configFile?: string;
  port?: number[];
  bind?: string;
  verbose?: boolean;
}

function parsePort(value: string, previous: number[] | undefined): number[] {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new UsageError(`Invalid port specified (${value}).`);
  return [...(previous ?? []), n];
}

export function brokerCommand(): Command {
  return new Command('broker')
    .description('Run an MQTT 3.1/3.1.1/5.0 broker (reads the mosquitto.conf subset people use).')
    .helpOption('--help', 'show this help and exit')
    .addOption(new Option('-c, --config-file <file>', 'mosquitto.conf-style configuration file'))
    .addOption(new Option('-p, --port <port>', 'listen on this port (repeatable; 0 = a free port, printed on stdout)').argParser(parsePort))
    .addOption(new Option('--bind <address>', 'address to listen on (default: 127.0.0.1 and ::1, local only; a non-loopback address refuses anonymous clients unless the config allows them)'))
    .addOption(new Option('-v, --verbose', 'log everything (like mosquitto -v)'))
    .addHelpText(
      'after',
      `
With no configuration file the broker listens on localhost:1883 only and allows anonymous
clients, like Mosquitto 2.0's local-only mode. SIGHUP reloads password and ACL files;
SIGINT/SIGTERM stop the broker.

Examples:
  mqtt broker -v
  mqtt broker --port 0            # prints the chosen port, for test scripts
  mqtt broker -c /etc/mosquitto/mosquitto.conf`,
    )
    .action(action<BrokerOptions>(runBrokerCommand));
}

async function runBrokerCommand(opts: BrokerOptions): Promise<number> {
  // the broker is loaded only when asked for, so pub and sub start without it
  const { resolveBrokerConfig } = await import('../broker/config/resolve.js');
  const { startBroker } = await import('../broker/run-broker.js');
  const config = await resolveBrokerConfig(opts);
  let running;
  try {
    running = await startBroker(config, VERSION);
  } catch (err) {
    throw new CliError(`Error: ${(err as Error).message}`, 1);
  }
  if (config.listeners.some((l) => l.port === 0 && !l.socketPath)) {
    const bound = running.listeners.find((l) => l.spec.port === 0 || l.spec.socketPath === undefined);
    process.stdout.write(`${bound?.port ?? running.listeners[0]!.port}\n`);
  }
  return new Promise<number>((resolve) => {
    const stop = async () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGHUP', reload);
      await running.close();
      resolve(0);
    };
    const reload = () => {
      running.reload().catch((err: Error) => running.broker.log.error(`Error: reload failed: ${err.message}`));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', reload);
  });
}
