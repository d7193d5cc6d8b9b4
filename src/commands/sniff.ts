import { Command, Option } from 'commander';
import { action } from '../cli/action.js';
import { accessSync, constants } from 'node:fs';
import { CliError, UsageError } from '../cli/errors.js';
import type { ProtocolVersion } from '../core/protocol/types.js';
import { SNIFF_HELP } from './sniff-help.js';
import type { SniffPlan } from './sniff-session.js';

interface SniffOptions {
  read?: string;
  write?: string;
  interface: string;
  filter?: string;
  port?: string[];
  tlsKeylog?: string;
  mqttVersion?: string;
  protocolVersion?: string;
  count?: string;
  json?: boolean;
  payload?: boolean;
  verbose?: boolean;
  showPasswords?: boolean;
  check?: boolean;
  summary?: boolean;
  quiet?: boolean;
  packets: boolean;
  color: boolean;
}

const VERSIONS: Record<string, ProtocolVersion> = {
  '3.1': 3, '31': 3, mqttv31: 3,
  '3.1.1': 4, '311': 4, mqttv311: 4,
  '5': 5, '5.0': 5, mqttv5: 5,
};

function positiveInt(value: string, what: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${what} must be a positive integer, not '${value}'`);
  return Number(value);
}

function colourAllowed(opts: SniffOptions): boolean {
  // NO_COLOR (no-color.org): present and not empty disables colour
  return opts.color && (process.env.NO_COLOR ?? '') === '';
}

function ports(values: string[] | undefined, tls: boolean): number[] {
  // --port adds to 1883 (and 8883 with a key log): MQTT's own ports are always watched
  const extra = (values ?? []).flatMap((v) => v.split(',')).map((p) => positiveInt(p.trim(), 'port'));
  if (extra.some((p) => p > 65535)) throw new UsageError('port must be at most 65535');
  return [...new Set([1883, ...(tls ? [8883] : []), ...extra])];
}

/** The key log must be readable now; it is read again as TLS sessions start (clients append). */
function keylogFile(file: string): string {
  try {
    accessSync(file, constants.R_OK);
  } catch (err) {
    throw new CliError(`Error: cannot read the TLS key log ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 1);
  }
  return file;
}

function plan(filterWords: string[], opts: SniffOptions, interfaceGiven: boolean): SniffPlan {
  const versionText = opts.mqttVersion ?? opts.protocolVersion ?? '3.1.1';
  const version = VERSIONS[versionText.toLowerCase()];
  if (!version) throw new UsageError(`unknown MQTT version '${versionText}' (use 3.1, 3.1.1 or 5)`);
  if (opts.filter !== undefined && filterWords.length > 0) throw new UsageError('give the capture filter either as arguments or with --filter, not both');
  const filter = opts.filter ?? (filterWords.length > 0 ? filterWords.join(' ') : undefined);
  if (opts.read !== undefined && filter !== undefined) {
    throw new UsageError(`a capture filter applies to live capture only (with -r, filter with tcpdump: tcpdump -r FILE -w - '${filter}' | mqtt sniff -r -)`);
  }
  // -i has a default ('any'), so only an -i typed on the command line conflicts
  if (opts.read !== undefined && interfaceGiven) throw new UsageError(`-i ${opts.interface} captures live; with -r the packets come from the file: give one or the other`);
  if (opts.read !== undefined && opts.write !== undefined) throw new UsageError('-w saves a live capture; with -r the file is already saved');
  if (opts.write === '-') throw new UsageError('-w - would mix the capture with the decoded lines on stdout: give a file name');
  return {
    source: opts.read !== undefined ? { file: opts.read } : { live: { device: opts.interface, filter: filter ?? 'tcp' } },
    saveTo: opts.write,
    mqttPorts: ports(opts.port, opts.tlsKeylog !== undefined),
    defaultVersion: version,
    ...(opts.tlsKeylog !== undefined && { tlsKeyLogFile: keylogFile(opts.tlsKeylog) }),
    limit: opts.count === undefined ? Infinity : positiveInt(opts.count, 'count'),
    json: opts.json ?? false,
    payload: opts.payload ?? false,
    verbose: opts.verbose ?? false,
    showPasswords: opts.showPasswords ?? false,
    check: opts.check ?? false,
    packets: opts.packets,
    summary: opts.quiet || opts.summary === false ? 'none' : opts.summary ? 'stdout' : 'stderr',
    quiet: opts.quiet ?? false,
    colour: colourAllowed(opts),
  };
}

export function sniffCommand(): Command {
  return new Command('sniff')
    .description('decode MQTT from a live interface or a capture file, one line per packet (like tcpdump)')
    .helpOption('--help', 'show help')
    .argument('[filter...]', 'libpcap filter for live capture, as with tcpdump (default: "tcp")')
    .option('-i, --interface <name>', 'interface for live capture (needs root or CAP_NET_RAW)', 'any')
    .option('-r, --read <file>', "read a pcap or pcapng file, gzipped or not, instead of capturing live ('-' for stdin: tcpdump -w - | mqtt sniff -r -)")
    .option('-w, --write <file>', 'also save the frames captured live to this pcap file')
    .option('-p, --port <port>', 'another port where MQTT is assumed without a captured CONNECT, besides 1883 (repeatable, or comma-separated)', (v, acc: string[] | undefined) => [...(acc ?? []), v])
    .option('-V, --mqtt-version <version>', 'MQTT version assumed where the CONNECT was not captured: 3.1, 3.1.1 or 5 (default: 3.1.1)')
    .addOption(new Option('--protocol-version <version>', 'old name of --mqtt-version').hideHelp())
    .addOption(new Option('-f, --filter <bpf>', 'the capture filter as one option').hideHelp())
    .option('--tls-keylog <file>', '[extra] decrypt MQTT over TLS (on 8883 and the --port ports) with this NSS key log, as written by --tls-keylog of pub/sub or SSLKEYLOGFILE')
    .option('-c, --count <n>', 'stop after n MQTT packets')
    .option('--json', 'one JSON object per line (schema below)')
    .option('--payload', 'with --json: include PUBLISH payloads (base64)')
    .option('-v, --verbose', 'also print v5 properties, ack latency, whole payloads and connections opening and closing')
    .option('--show-passwords', 'print CONNECT passwords instead of ****')
    .option('--check', 'check the packets against the protocol\'s rules and flag violations (exit 2 if any)')
    .option('--summary', 'print the summary on stdout (JSON with --json) instead of stderr')
    .option('--no-summary', 'no summary at the end')
    .option('-q, --quiet', 'no summary and no progress line on stderr')
    .option('--no-packets', 'print no packet lines (only notes, violations and the summary)')
    .addOption(new Option('--no-color', 'no colours even on a terminal'))
    .addHelpText('after', SNIFF_HELP)
    .action(
      action<SniffOptions>(async (opts, cmd) => {
        const snifferPlan = plan((cmd.processedArgs[0] as string[] | undefined) ?? [], opts, cmd.getOptionValueSource('interface') === 'cli');
        // loaded on use: pub and sub start faster without the sniffer in their start-up
        const { runSniff } = await import('./sniff-session.js');
        return runSniff(snifferPlan);
      }),
    );
}
