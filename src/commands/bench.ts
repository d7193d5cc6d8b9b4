import { Command, Option } from 'commander';
import { CliError, UsageError } from '../cli/errors.js';
import type { BenchMode } from '../bench/plan.js';
import { TARGET_FLAGS } from '../bench/target-options.js';

type Flags = Array<[flags: string, description: string]>;

const RUN_FLAGS: Flags = [
  ['-d, --duration <seconds>', 'stop after this long (publishing modes: default 10 unless --count is given)'],
  ['-w, --workers <n>', 'worker threads carrying the clients; 0 runs them on the main thread (default: 1)'],
  ['--json', 'print the summary as JSON (schema: mqtt bench schema) instead of a table'],
  ['--quiet', 'no per-second status lines on stderr'],
];

const PUBLISH_FLAGS: Flags = [
  ['-t, --topic <topic>', "publish topic; %i becomes the publisher index (default: 'bench/%i')"],
  ['-q, --qos <qos>', 'QoS of the messages, 0..2 (default: 0)'],
  ['-s, --size <bytes>', 'payload size, at least 24 (the bench header) (default: 64)'],
  ['-r, --rate <msgs/s>', 'total message rate over all publishers; 0 = as fast as possible (default: 0)'],
  ['-n, --count <n>', 'messages per publisher'],
  ['--inflight <n>', "QoS 1/2 messages in flight per publisher, at most the broker's MQTT 5 Receive Maximum (default: 100)"],
  ['--drain-timeout <seconds>', 'wait this long without progress for the last messages and acks (default: 2)'],
];

const MODES: Record<BenchMode, { summary: string; flags: Flags }> = {
  conn: {
    summary: 'open many connections: handshakes per second and connect latency',
    flags: [
      ['-c, --clients <n>', 'connections to open (default: 100)'],
      ['--concurrency <n>', 'handshakes in progress at once (default: 100)'],
      ['-r, --rate <conn/s>', 'start at most this many connections per second; 0 = no limit'],
      ['--hold <seconds>', 'keep the connections open this long once all are up (default: 0)'],
    ],
  },
  pub: {
    summary: 'publish as fast as possible or at a fixed rate; QoS 1/2 ack latency',
    flags: [['-c, --clients <n>', 'publishers (default: 1)'], ...PUBLISH_FLAGS],
  },
  sub: {
    summary: 'subscribe and count: rate, loss (gaps), duplicates, order, end-to-end latency of bench payloads',
    flags: [
      ['-c, --clients <n>', 'subscribers (default: 1)'],
      ['-t, --topic <filter>', "subscription filter (default: 'bench/#')"],
      ['-q, --qos <qos>', 'subscription QoS, 0..2 (default: 0)'],
      ['-n, --count <n>', 'stop once each subscriber has this many messages'],
    ],
  },
  pubsub: {
    summary: 'publishers and subscribers in one run: exact loss, duplicates, order and end-to-end latency',
    flags: [
      ['--publishers <n>', 'publishers (default: 1)'],
      ['--subscribers <n>', 'subscribers, each subscribed to every publisher (default: 1)'],
      ['--filter <filter>', 'subscription filter (default: the topic with %i as +)'],
      ['--sub-qos <qos>', 'subscription QoS (default: the publish QoS)'],
      ['--ahead <n>', 'a publisher stays at most this many messages ahead of its slowest subscriber; 0 = off (default: 100, or 0 with --rate)'],
      ...PUBLISH_FLAGS,
    ],
  },
};

/** Error messages and exit handling come from program.ts, which configures the whole tree. */
function configure(cmd: Command): Command {
  return cmd.helpOption('--help', 'show help');
}

function rootOf(cmd: Command): Command {
  return cmd.parent ? rootOf(cmd.parent) : cmd;
}

function modeCommand(mode: BenchMode): Command {
  const spec = MODES[mode];
  const cmd = configure(new Command(mode).description(spec.summary));
  for (const [flags, description] of spec.flags) cmd.addOption(new Option(flags, description).helpGroup('Load:'));
  for (const [flags, description] of RUN_FLAGS) cmd.addOption(new Option(flags, description).helpGroup('Run:'));
  for (const [flags, description] of TARGET_FLAGS) cmd.addOption(new Option(flags, description).helpGroup('Connection:'));
  cmd.action(async (_opts: unknown, self: Command) => {
    const code = await runMode(mode, self).catch((err: unknown) => {
      if (err instanceof UsageError) throw new CliError(`Error: ${err.message}\nUse 'mqtt bench ${mode} --help' to see usage.`, 1);
      throw err;
    });
    rootOf(self).setOptionValue('__exitCode', code);
  });
  return cmd;
}

async function runMode(mode: BenchMode, cmd: Command): Promise<number> {
  const opts = cmd.opts<Record<string, string | boolean | undefined>>();
  if (cmd.args.length > 0) throw new UsageError(`Unexpected argument '${cmd.args[0]}'.`);
  // loaded on use: `mqtt pub` and `mqtt sub` start without the bench code
  const { resolvePlan } = await import('../bench/plan-options.js');
  const { runBench } = await import('../bench/run.js');
  const plan = resolvePlan(mode, opts);
  const interrupt = new AbortController();
  // once: a second Ctrl-C gets Node's default and ends the process at once
  const onSigint = () => interrupt.abort();
  process.once('SIGINT', onSigint);
  try {
    const { code } = await runBench(plan, {
      stdout: process.stdout,
      stderr: process.stderr,
      json: opts.json === true,
      quiet: opts.quiet === true,
      interrupt: interrupt.signal,
    });
    return code;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export function benchCommand(): Command {
  const bench = configure(new Command('bench')).description(
    'load generator and meter: connections, publish and subscribe rates, loss, latency',
  );
  for (const mode of Object.keys(MODES) as BenchMode[]) bench.addCommand(modeCommand(mode));
  bench.addCommand(
    configure(new Command('schema'))
      .description('print the JSON Schema of the --json summary')
      .action(async (_opts: unknown, self: Command) => {
        const { BENCH_RESULT_SCHEMA } = await import('../bench/report-schema.js');
        process.stdout.write(JSON.stringify(BENCH_RESULT_SCHEMA, null, 2) + '\n');
        rootOf(self).setOptionValue('__exitCode', 0);
      }),
  );
  return bench;
}
