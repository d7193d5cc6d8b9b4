import v8 from 'node:v8';
import { otherThreadsMayRun } from '../runtime/worker-script.js';

let firstConnectionOpened = false;

/**
 * Runs `open` (net.connect or tls.connect) with V8 compiling regular expressions straight to
 * machine code. Node tests every host that is not an IPv4 address (`localhost`, the default)
 * against a very large IPv6 pattern, in net.connect and again in dns.lookup; made first as
 * bytecode (V8's default, "tier-up") that pattern takes about 3 ms to compile, some 5 % of a
 * one-shot `mqtt pub`, and about 1 ms as machine code (issue 16). Only around this call: the
 * other patterns a one-shot command runs once or twice are cheaper as bytecode (turning the flag
 * off for the whole process made `mqtt pub` slower). The pattern keeps its machine code.
 *
 * Only for a process's first connection, and never with worker threads: V8's flags are
 * process-wide and not thread-safe, and a bench worker toggling this while another compiled a
 * regular expression crashed in V8's regexp interpreter (SIGSEGV in 1 run of 4 with `-w 2`).
 *
 * Not while a startup snapshot is being built (the single executable's warm-up publish,
 * scripts/build-binary.mjs): that connection is not the process's first real one, which comes
 * after deserialization, and V8 cannot serialize a regular expression's machine code.
 */
export function withNativeRegExps<T>(open: () => T): T {
  if (firstConnectionOpened || otherThreadsMayRun() || v8.startupSnapshot.isBuildingSnapshot()) return open();
  firstConnectionOpened = true;
  v8.setFlagsFromString('--no-regexp-tier-up');
  try {
    return open();
  } finally {
    v8.setFlagsFromString('--regexp-tier-up');
  }
}
