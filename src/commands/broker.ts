import { Command, Option } from 'commander';
import { action } from '../cli/action.js';
import { VERSION } from '../cli/version.js';
import { CliError } from '../cli/errors.js';
import { ConfigFileError } from '../broker/config/config-error.js';
import { brokerNeedsChild, ignoreLateStopSignals, runBrokerInChild, stopWithLauncher } from './broker-heap.js';

interface BrokerOptions {
  configFile?: string;
  port?: number[];
  bind?: string;
  verbose?: boolean;
  persist?: string;
}

/** Mosquitto's words and exit code for a bad -p: "Error: Invalid port specified (-1).", exit 3. */
function parsePort(value: string, previous: number[] | undefined): number[] {
  const n = Number(value);
  if (!/^[0-9]{1,5}$/.test(value) || n > 65535) throw new CliError(`Error: Invalid port specified (${value}).`, 3);
  return [...(previous ?? []), n];
}

export function brokerCommand(): Command {
  return new Command('broker')
    .description('Run an MQTT 3.1/3.1.1/5.0 broker (reads the mosquitto.conf subset people use).')
    .helpOption('--help', 'show this help and exit')
    .addOption(new Option('-c, --config-file <file>', 'mosquitto.conf-style configuration file'))
    .addOption(new Option('-p, --port <port>', 'listen on this port (repeatable; 0 = a free port, printed on stdout)').argParser(parsePort))
    .addOption(new Option('--bind <address>', 'address to listen on (default: 127.0.0.1 and ::1, local only; a non-loopback address refuses anonymous clients unless the config allows them)'))
    .addOption(new Option('--persist <dir>', 'keep retained messages across restarts in a store in this directory (like persistence true + persistence_location; see PERSISTENCE)'))
    .addOption(new Option('-v, --verbose', 'log everything (like mosquitto -v)'))
    .addHelpText(
      'after',
      `
With no configuration file the broker listens on localhost:1883 only and allows anonymous
clients, like Mosquitto 2.0's local-only mode. SIGHUP reads the -c file again and reloads
password, ACL and TLS files; SIGINT/SIGTERM stop the broker.

Examples:
  mqtt broker -v
  mqtt broker --port 0            # prints the chosen port, for test scripts
  mqtt broker --persist /var/lib/mqtt
  mqtt broker -c /etc/mosquitto/mosquitto.conf`,
    )
    .action(action<BrokerOptions>(runBrokerCommand));
}

async function runBrokerCommand(opts: BrokerOptions): Promise<number> {
  // the broker runs in a child with a small young generation (see broker-heap.ts); this process
  // reads nothing itself, so warnings and errors are printed once, by the child
  if (brokerNeedsChild()) {
    const code = await runBrokerInChild();
    if (code !== undefined) return code;
  }
  // the broker is loaded only when asked for, so pub and sub start without it
  const { resolveBrokerConfig, rereadBrokerConfig } = await import('../broker/config/resolve.js');
  const config = await resolveBrokerConfig(opts);
  const { startBroker } = await import('../broker/run-broker.js');
  // signals are handled before the first listener opens: a SIGTERM sent as soon as "running" is
  // logged (or before) still ends in a clean stop and exit 0
  let running: Awaited<ReturnType<typeof startBroker>> | undefined;
  let stopRequested = false;
  let finish: (code: number) => void = () => {};
  const stopped = new Promise<number>((resolve) => (finish = resolve));
  // the process exits once this is called: a late stop signal is ignored, not fatal (status 143)
  const release = () => {
    ignoreLateStopSignals();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.off('SIGHUP', reload);
  };
  // A second SIGINT/SIGTERM (or a SIGHUP) while stopping changes nothing, as in Mosquitto: the
  // handlers stay until the broker is closed. Removed at once, the default action of the next
  // one ended the process in the middle of its shutdown (wills unsent, status 143): the launcher
  // forwards a signal this process may have had already (systemd signals the whole group).
  let stopping = false;
  async function stop(): Promise<void> {
    if (stopping) return;
    stopping = true;
    if (!running) {
      stopRequested = true;
      return;
    }
    await running.close();
    release();
    finish(0);
  }
  function reload(): void {
    if (stopping) return;
    running?.reload().catch((err: Error) => running?.broker.log.error(`Error: reload failed: ${err.message}`));
  }
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', reload);
  stopWithLauncher(() => void stop());
  try {
    running = await startBroker(config, VERSION, () => rereadBrokerConfig(opts));
  } catch (err) {
    release();
    // a password or ACL file that cannot be read or parsed is a configuration error (exit 3),
    // and its message already says "Error: "
    if (err instanceof ConfigFileError) throw new CliError(err.message, 3);
    const message = (err as Error).message;
    throw new CliError(message.startsWith('Error: ') ? message : `Error: ${message}`, 1);
  }
  if (config.listeners.some((l) => l.port === 0 && !l.socketPath)) {
    const bound = running.listeners.find((l) => l.spec.port === 0 || l.spec.socketPath === undefined);
    process.stdout.write(`${bound?.port ?? running.listeners[0]!.port}\n`);
  }
  if (stopRequested) {
    await running.close();
    release();
    return 0;
  }
  return stopped;
}
