import { Chalk, type ChalkInstance } from 'chalk';
import { Command, Option } from 'commander';
import { action } from '../cli/program.js';
import { CliError, UsageError } from '../cli/errors.js';
import type { ProtocolVersion } from '../client/config.js';
import { SniffOutput } from '../output/sniff-sink.js';
import { noteJson, packetJson } from '../output/sniff-json.js';
import { noteLine, packetLine } from '../output/sniff-line.js';
import { summaryText } from '../output/sniff-summary.js';
import { CaptureFormatError } from '../sniff/capture-file-error.js';
import { runCaptureSource, type CaptureSource } from '../sniff/capture-source.js';
import { ProtocolChecker } from '../sniff/protocol-checker.js';
import { LiveCaptureError } from '../sniff/live-capture.js';
import type { SniffEvent } from '../sniff/sniff-events.js';
import { Sniffer } from '../sniff/sniffer.js';
import { SniffSummary } from '../sniff/summary.js';

interface SniffOptions {
  read?: string;
  interface: string;
  filter?: string;
  port?: string[];
  protocolVersion: string;
  count?: string;
  json?: boolean;
  check?: boolean;
  summary?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  payload?: boolean;
  color: boolean;
}

/** Exit status when --check found protocol violations (1 stays "could not run"). */
const EXIT_VIOLATIONS = 2;

const VERSIONS: Record<string, ProtocolVersion> = { '31': 3, mqttv31: 3, '311': 4, mqttv311: 4, '5': 5, mqttv5: 5 };

function positiveInt(value: string, what: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${what} must be a positive integer, not '${value}'`);
  return Number(value);
}

function colourLevel(opts: SniffOptions): ChalkInstance {
  // NO_COLOR (no-color.org): present and not empty disables colour
  const noColor = (process.env.NO_COLOR ?? '') !== '';
  const on = opts.color && !noColor && process.stdout.isTTY === true;
  return new Chalk({ level: on ? 1 : 0 });
}

export function sniffCommand(): Command {
  return new Command('sniff')
    .description('decode MQTT from a capture file or a live interface, one line per packet')
    .helpOption('--help', 'show help')
    .option('-r, --read <file>', "read a pcap or pcapng file ('-' for stdin) instead of capturing live")
    .option('-i, --interface <name>', 'interface for live capture (needs root or CAP_NET_RAW)', 'any')
    .option('-f, --filter <bpf>', 'libpcap filter for live capture (default: "tcp")')
    .option('-p, --port <port>', 'port where MQTT is assumed even without a captured CONNECT (repeatable; default 1883)', (v, acc: string[] | undefined) => [...(acc ?? []), v])
    .option('-V, --protocol-version <version>', 'MQTT version assumed when the CONNECT was not captured: 31, 311 or 5', '311')
    .option('-c, --count <n>', 'stop after n MQTT packets')
    .option('--json', 'one JSON object per line')
    .option('--check', `check the packets against the protocol's rules; exit ${EXIT_VIOLATIONS} if any is broken`)
    .option('--summary', 'print totals at the end')
    .option('-q, --quiet', 'do not print packets (with --summary or --check)')
    .option('-v, --verbose', 'also print properties, payloads, connections and skipped bytes')
    .option('--payload', 'with --json: include PUBLISH payloads (base64)')
    .addOption(new Option('--no-color', 'no colours even on a terminal'))
    .action(action<SniffOptions>(async (opts) => runSniff(opts)));
}

async function runSniff(opts: SniffOptions): Promise<number> {
  const version = VERSIONS[opts.protocolVersion.toLowerCase()];
  if (!version) throw new UsageError(`unknown protocol version '${opts.protocolVersion}' (use 31, 311 or 5)`);
  const ports = opts.port ? opts.port.map((p) => positiveInt(p, 'port')) : [1883];
  if (ports.some((p) => p > 65535)) throw new UsageError('port must be at most 65535');
  const limit = opts.count === undefined ? Infinity : positiveInt(opts.count, 'count');
  if (opts.read !== undefined && opts.filter !== undefined) throw new UsageError('--filter applies to live capture only');
  const source: CaptureSource =
    opts.read !== undefined ? { file: opts.read } : { live: { device: opts.interface, filter: opts.filter ?? 'tcp' } };

  const chalk = colourLevel(opts);
  const out = new SniffOutput();
  const summary = new SniffSummary();
  const lineOpts = { chalk, verbose: opts.verbose ?? false };
  let packets = 0;
  let stopRequested: () => void = () => {};
  const control = {
    stopped: false,
    pause: () => out.drained(),
    untilStopped: new Promise<void>((resolve) => (stopRequested = resolve)),
    // like tcpdump: tells the user (and tests) that frames are now being captured
    onOpen: (linkType: number) => process.stderr.write(`listening on ${opts.interface}, link type ${linkType}\n`),
  };
  const stop = () => {
    control.stopped = true;
    stopRequested();
  };

  const print = (ev: SniffEvent) => {
    if (control.stopped) return;
    summary.add(ev);
    if (ev.kind === 'packet') {
      packets++;
      if (!opts.quiet) out.write(opts.json ? packetJson(ev, opts.payload ?? false) : packetLine(ev, lineOpts));
    } else if (ev.note === 'violation' || opts.verbose || (ev.note !== 'connection' && ev.note !== 'skipped' && !opts.quiet)) {
      out.write(opts.json ? noteJson(ev) : noteLine(ev, lineOpts));
    }
    if (out.failed) stop();
  };
  const checker = opts.check ? new ProtocolChecker(print) : null;
  const sniffer = new Sniffer(
    (ev) => {
      if (control.stopped) return;
      print(ev);
      // the packet goes out first, then what the checker says about it
      checker?.observe(ev);
      if (ev.kind === 'packet' && packets >= limit) stop();
    },
    { mqttPorts: ports, defaultVersion: version },
  );

  const onSignal = () => stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await runCaptureSource(source, (frame) => sniffer.frame(frame), control);
    if (result.truncatedBytes > 0) {
      process.stderr.write(`Warning: the capture ends inside a record (${result.truncatedBytes} bytes ignored): was it cut off?\n`);
    }
  } catch (err) {
    if (err instanceof CaptureFormatError || err instanceof LiveCaptureError) throw new CliError(`Error: ${err.message}`, 1);
    const e = err as NodeJS.ErrnoException;
    if (e.code && e.syscall) throw new CliError(`Error: cannot read ${opts.read}: ${e.message}`, 1);
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (!control.stopped) {
    sniffer.finish();
    checker?.finish();
  }
  if (opts.summary) {
    const totals = summary.toJSON(sniffer.counters);
    out.write(opts.json ? JSON.stringify({ summary: totals }) + '\n' : summaryText(summary, sniffer.counters, chalk));
  }
  await out.drained();
  if ('live' in source) process.stderr.write('Note: libpcap drop counts are not available through cap; drops cannot be reported.\n');
  return opts.check && summary.violationCount() > 0 ? EXIT_VIOLATIONS : 0;
}
