import { statSync } from 'node:fs';
import { Chalk } from 'chalk';
import { CliError } from '../cli/errors.js';
import type { ProtocolVersion } from '../core/protocol/types.js';
import { noteJson, packetJson } from '../sniff/format/sniff-json.js';
import { noteLine, packetLine } from '../sniff/format/sniff-line.js';
import { publishJson, publishLine } from '../sniff/format/sniff-publish-bytes.js';
import { ReadProgress } from '../sniff/format/sniff-progress.js';
import { SniffOutput } from '../sniff/format/sniff-sink.js';
import { summaryText } from '../sniff/format/sniff-summary.js';
import { CaptureFormatError } from '../sniff/capture-file-error.js';
import { CaptureSaver } from '../sniff/capture-saver.js';
import { runCaptureSource, type CaptureControl, type CaptureSource } from '../sniff/capture-source.js';
import type { CapturedFrame } from '../sniff/frame.js';
import { linkTypeText } from '../sniff/link-types.js';
import { LiveCaptureError, type LiveCaptureFailure } from '../sniff/live-capture.js';
import { ProtocolChecker } from '../sniff/protocol-checker.js';
import type { SniffEvent } from '../sniff/sniff-events.js';
import { Sniffer } from '../sniff/sniffer.js';
import { SniffSummary } from '../sniff/summary.js';
import { SNIFF_EXIT } from './sniff-help.js';

/** Everything the command line decided, checked. */
export interface SniffPlan {
  source: CaptureSource;
  saveTo?: string;
  mqttPorts: number[];
  defaultVersion: ProtocolVersion;
  /** --tls-keylog */
  tlsKeyLogFile?: string;
  limit: number;
  json: boolean;
  payload: boolean;
  verbose: boolean;
  showPasswords: boolean;
  check: boolean;
  packets: boolean;
  summary: 'stderr' | 'stdout' | 'none';
  quiet: boolean;
  /** colours allowed (no --no-color, no NO_COLOR); each stream still needs to be a terminal */
  colour: boolean;
}

/** Files from this size on get a progress line (when stderr is a terminal): smaller ones read in a blink. */
const PROGRESS_MIN_BYTES = 8 * 1024 * 1024;

const LIVE_EXIT: Record<LiveCaptureFailure, number> = {
  unavailable: SNIFF_EXIT.LIVE_UNAVAILABLE,
  permission: SNIFF_EXIT.PERMISSION,
  'no-such-interface': SNIFF_EXIT.NO_SUCH_INTERFACE,
  filter: SNIFF_EXIT.USAGE,
  failed: SNIFF_EXIT.LIVE_UNAVAILABLE,
};

/** Notes everyone sees; connections opening and closing only with -v. */
function noteShown(ev: Extract<SniffEvent, { kind: 'note' }>, plan: SniffPlan): boolean {
  return ev.note === 'violation' || plan.verbose || ev.note !== 'connection';
}

function progressFor(plan: SniffPlan): ReadProgress | null {
  if (!('file' in plan.source) || plan.source.file === '-' || plan.quiet || process.stderr.isTTY !== true) return null;
  // the packet lines on the same terminal already show progress, and would tear the line
  if (plan.packets && process.stdout.isTTY === true) return null;
  let size: number;
  try {
    const st = statSync(plan.source.file);
    size = st.isFile() ? st.size : 0;
  } catch {
    return null;
  }
  return size >= PROGRESS_MIN_BYTES ? new ReadProgress(process.stderr, size) : null;
}

async function openSaver(path: string | undefined): Promise<CaptureSaver | null> {
  if (path === undefined) return null;
  try {
    return await CaptureSaver.open(path);
  } catch (err) {
    throw new CliError(`Error: cannot write ${path}: ${(err as Error).message}`, SNIFF_EXIT.BAD_CAPTURE_FILE);
  }
}

/** A failure of the source as one clear line and the exit status of its class. */
function sourceError(err: unknown, plan: SniffPlan): CliError {
  if (err instanceof CaptureFormatError) return new CliError(`Error: ${err.message}`, SNIFF_EXIT.BAD_CAPTURE_FILE);
  if (err instanceof LiveCaptureError) return new CliError(`Error: ${err.message}`, LIVE_EXIT[err.reason]);
  const e = err as NodeJS.ErrnoException;
  if (e.code && e.syscall && 'file' in plan.source) {
    return new CliError(`Error: cannot read ${plan.source.file}: ${e.message}`, SNIFF_EXIT.BAD_CAPTURE_FILE);
  }
  throw err;
}

export async function runSniff(plan: SniffPlan): Promise<number> {
  const live = 'live' in plan.source ? plan.source.live : null;
  const out = new SniffOutput(process.stdout, live !== null);
  const summary = new SniffSummary();
  const chalk = new Chalk({ level: plan.colour && process.stdout.isTTY === true ? 1 : 0 });
  const lineOpts = { chalk, verbose: plan.verbose, showPasswords: plan.showPasswords };
  const jsonOpts = { payload: plan.payload, showPasswords: plan.showPasswords };
  const progress = progressFor(plan);
  const saver = await openSaver(plan.saveTo);
  let packets = 0;
  let stopRequested: () => void = () => {};
  const control: CaptureControl = {
    stopped: false,
    pause: () => out.drained(),
    untilStopped: new Promise<void>((resolve) => (stopRequested = resolve)),
    progress: progress ? (bytes) => progress.update(bytes, packets) : undefined,
    onOpen: (linkType) => {
      saver?.start(linkType);
      // like tcpdump: tells the user (and tests) that frames are now being captured
      process.stderr.write(`listening on ${live?.device}, link type ${linkTypeText(linkType)}${saver ? `, saving to ${saver.path}` : ''}\n`);
    },
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
      if (plan.packets) {
        // a PUBLISH goes into the output buffer as bytes; everything else as a string
        if (plan.json) {
          if (!publishJson(out, ev, jsonOpts)) out.write(packetJson(ev, jsonOpts));
        } else if (!publishLine(out, ev, lineOpts)) out.write(packetLine(ev, lineOpts));
      }
    } else if (noteShown(ev, plan)) {
      out.write(plan.json ? noteJson(ev) : noteLine(ev, lineOpts));
    }
    if (out.failed) stop();
  };
  const checker = plan.check ? new ProtocolChecker(print) : null;
  const sniffer = new Sniffer(
    (ev) => {
      if (control.stopped) return;
      print(ev);
      // the packet goes out first, then what the checker says about it
      checker?.observe(ev);
      if (ev.kind === 'packet' && packets >= plan.limit) stop();
    },
    { mqttPorts: plan.mqttPorts, defaultVersion: plan.defaultVersion, ...(plan.tlsKeyLogFile !== undefined && { tlsKeyLogFile: plan.tlsKeyLogFile }) },
  );
  const onFrame = saver
    ? (frame: CapturedFrame) => {
        if (control.stopped) return;
        saver.write(frame);
        sniffer.frame(frame);
      }
    : (frame: CapturedFrame) => sniffer.frame(frame);

  // first Ctrl-C: stop and print the summary; the handler is gone after it, so a second one kills
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let truncatedBytes = 0;
  let gzipCutShort = false;
  try {
    ({ truncatedBytes, gzipCutShort = false } = await runCaptureSource(plan.source, onFrame, control));
  } catch (err) {
    progress?.clear();
    // what was decoded before the failure is still printed, then the one error line
    await out.drained();
    throw sourceError(err, plan);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await saver?.close().catch((err: Error) => process.stderr.write(`Warning: ${plan.saveTo} is incomplete: ${err.message}\n`));
  }
  progress?.clear();
  if (!control.stopped) {
    sniffer.finish();
    checker?.finish();
  }
  const counters = sniffer.totals();
  if (plan.summary === 'stdout') {
    out.write(plan.json ? JSON.stringify({ summary: summary.toJSON(counters) }) + '\n' : summaryText(summary, counters, chalk));
  }
  await out.drained();
  if (plan.summary === 'stderr') {
    const drops = live ? '  (libpcap drop counts are not available through cap: drops cannot be reported)\n' : '';
    const stderrChalk = new Chalk({ level: plan.colour && process.stderr.isTTY === true ? 1 : 0 });
    process.stderr.write(summaryText(summary, counters, stderrChalk) + drops);
  }
  if (counters.truncatedFrames > 0) {
    const n = counters.truncatedFrames;
    process.stderr.write(`Warning: ${n === 1 ? '1 frame was' : `${n} frames were`} cut short by the capture's snapshot length: the bytes lost are gaps in their TCP streams\n`);
  }
  if (gzipCutShort) {
    const ignored = truncatedBytes > 0 ? ` (and inside a record: ${truncatedBytes} bytes ignored)` : '';
    process.stderr.write(`Warning: the gzip-compressed capture ends before its gzip stream does${ignored}: was it cut off? Everything before was decoded.\n`);
  } else if (truncatedBytes > 0) {
    process.stderr.write(`Warning: the capture file ends inside a record (${truncatedBytes} bytes ignored): was it cut off? Everything before was decoded.\n`);
  }
  if (plan.check && summary.violationCount() > 0) return SNIFF_EXIT.VIOLATIONS;
  return truncatedBytes > 0 || gzipCutShort ? SNIFF_EXIT.TRUNCATED_FILE : SNIFF_EXIT.OK;
}
