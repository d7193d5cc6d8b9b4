import type { Cap as CapClass } from 'cap';
import type { FrameSink } from './frame.js';
import { loadSeaCap } from './cap-sea.js';
import { linkTypeFromCapName } from './link-types.js';

/**
 * Why live capture failed, one class each so the command can give each its own exit status:
 * the binding or libpcap is missing, no permission, no such interface, a filter libpcap rejects.
 */
export type LiveCaptureFailure = 'unavailable' | 'permission' | 'no-such-interface' | 'filter' | 'failed';

/** Live capture is impossible here; `message` says why and what to do. */
export class LiveCaptureError extends Error {
  constructor(
    message: string,
    readonly reason: LiveCaptureFailure,
  ) {
    super(message);
    this.name = 'LiveCaptureError';
  }
}

// 64 MiB of kernel buffer: cap cannot report drops, so make them unlikely
const KERNEL_BUFFER = 64 * 1024 * 1024;
// cap's snaplen is fixed at 65535 (lo's MTU is 65536): frames can be cut, the decoder sees it
const FRAME_BUFFER = 65536;

let capModule: Promise<typeof import('cap')> | null = null;

/**
 * Loads `cap` on first use only, so --help, pub and sub never touch libpcap, and turns each way it
 * can fail into a message that says what to install.
 */
export async function loadCap(): Promise<typeof CapClass> {
  capModule ??= loadSeaCap().then((sea) => sea ?? import('cap'));
  try {
    const mod = await capModule;
    return mod.Cap ?? (mod as unknown as { default: { Cap: typeof CapClass } }).default.Cap;
  } catch (err) {
    capModule = null;
    const e = err as NodeJS.ErrnoException;
    // a missing libpcap shows as a dlopen failure of cap.node that names the library
    if (/libpcap/.test(e.message)) {
      throw new LiveCaptureError('live capture needs libpcap: apt-get install libpcap0.8 (or read a capture file with -r)', 'unavailable');
    }
    if (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND') {
      throw new LiveCaptureError(
        'live capture needs the optional libpcap binding "cap", which is not installed or not built: ' +
          'apt-get install libpcap-dev && npm rebuild cap (or read a capture file with -r)',
        'unavailable',
      );
    }
    throw new LiveCaptureError(`cannot load the libpcap binding "cap": ${e.message.split('\n')[0]}`, 'unavailable');
  }
}

export interface LiveCaptureOptions {
  device: string;
  /** BPF filter; libpcap syntax */
  filter: string;
}

/**
 * A running capture. Wraps cap's defects: the frame buffer stays referenced here for the whole
 * capture (cap keeps only a raw pointer to it, and a collected buffer corrupts the heap); a fresh
 * Cap object per attempt, never closed after a failed open (that aborts the process); timestamps
 * taken in the handler (cap gives none); frames parsed synchronously (cap rewrites the one buffer).
 */
export class LiveCapture {
  private readonly buffer = Buffer.alloc(FRAME_BUFFER);
  private cap: CapClass | null = null;
  readonly linkType: number;

  private constructor(Cap: typeof CapClass, opts: LiveCaptureOptions, sink: FrameSink) {
    checkDevice(Cap, opts.device);
    const cap = neverCollected(new Cap());
    let name: string;
    try {
      name = cap.open(opts.device, opts.filter, KERNEL_BUFFER, this.buffer);
    } catch (err) {
      const message = (err as Error).message;
      throw filterIsTheFault(Cap, opts) ? filterError(opts.filter, message) : openError(opts.device, opts.filter, message);
    }
    this.cap = cap;
    const linkType = linkTypeFromCapName(name);
    if (linkType === undefined) {
      this.close();
      throw new LiveCaptureError(`cannot decode link type ${name} of ${opts.device}`, 'failed');
    }
    this.linkType = linkType;
    cap.setMinBytes?.(0);
    cap.on('packet', (nbytes: number) => {
      // monotonic clock on the process's epoch origin: microseconds, and never going backwards
      const ms = performance.timeOrigin + performance.now();
      const sec = Math.floor(ms / 1000);
      const nsec = Math.min(999_999, Math.round((ms - sec * 1000) * 1000)) * 1000;
      sink({ linkType, sec, nsec, precision: 6, data: this.buffer.subarray(0, nbytes), origLen: nbytes });
    });
  }

  static async open(opts: LiveCaptureOptions, sink: FrameSink): Promise<LiveCapture> {
    const Cap = await loadCap();
    return new LiveCapture(Cap, opts, sink);
  }

  close(): void {
    const cap = this.cap;
    this.cap = null;
    cap?.close();
  }
}

/**
 * Checked before open(): unprivileged, libpcap reports a missing interface as "Operation not
 * permitted" (after printing its own SIOCGIFADDR warning), which would send the user the wrong way.
 */
function checkDevice(Cap: typeof CapClass, device: string): void {
  let names: string[];
  try {
    names = Cap.deviceList().map((d) => d.name);
  } catch {
    return;
  }
  if (names.includes(device)) return;
  throw new LiveCaptureError(`cannot capture on ${device}: no such interface (there are: ${names.join(', ')})`, 'no-such-interface');
}

/**
 * libpcap's compile errors have no common wording ("syntax error", "unknown port 'foo'", "unknown
 * host 'x'", "ip6 addr ... not supported"...), and cap compiles the filter inside open(), after
 * activating the device. So a failed open is retried without the filter: when that one works, the
 * filter was the fault (tcpdump then exits 1), whatever libpcap said.
 */
function filterIsTheFault(Cap: typeof CapClass, opts: LiveCaptureOptions): boolean {
  if (opts.filter === '') return false;
  // a fresh Cap: one whose open() failed must never be closed (that aborts the process)
  const probe = neverCollected(new Cap());
  try {
    probe.open(opts.device, '', KERNEL_BUFFER, Buffer.alloc(FRAME_BUFFER));
  } catch {
    return false;
  }
  probe.close();
  return true;
}

/**
 * cap's destructor, run from a garbage-collection weak callback, emits its async resource's destroy
 * hook there, which Node forbids: a collected Cap (closed, or one whose open() failed) killed the
 * process with SIGSEGV at a random later allocation (a lost error line and exit 139 in 1 of 20
 * runs). A command opens at most two, so they stay referenced for the life of the process.
 */
const everyCap: CapClass[] = [];
function neverCollected(cap: CapClass): CapClass {
  everyCap.push(cap);
  return cap;
}

function filterError(filter: string, message: string): LiveCaptureError {
  return new LiveCaptureError(`invalid capture filter ${JSON.stringify(filter)}: ${message}`, 'filter');
}

function openError(device: string, filter: string, message: string): LiveCaptureError {
  if (/Operation not permitted|permission/i.test(message)) {
    return new LiveCaptureError(
      `cannot capture on ${device}: permission denied (live capture needs root or CAP_NET_RAW: ` +
        `sudo setcap cap_net_raw,cap_net_admin=eip "$(command -v node)")`,
      'permission',
    );
  }
  if (/No such device|doesn't exist/i.test(message)) return new LiveCaptureError(`cannot capture on ${device}: no such interface`, 'no-such-interface');
  if (/filter/i.test(message)) return filterError(filter, message);
  return new LiveCaptureError(`cannot capture on ${device}: ${message}`, 'failed');
}
