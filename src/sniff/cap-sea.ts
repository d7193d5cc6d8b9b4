import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** The asset name scripts/build-binary.mjs embeds node_modules/cap/build/Release/cap.node under. */
export const SEA_CAP_ASSET = 'cap.node';

type CapModule = typeof import('cap');

/**
 * In a Node single executable `require('cap')` cannot work (built-ins only), so the binding ships
 * as an asset: written once to a content-addressed cache folder, $XDG_CACHE_HOME/mqtt/<sha256>/,
 * and loaded with process.dlopen. Resolves to null when this is not a single executable.
 */
export async function loadSeaCap(): Promise<CapModule | null> {
  let sea: typeof import('node:sea');
  try {
    sea = await import('node:sea');
  } catch {
    return null;
  }
  if (!sea.isSea()) return null;
  let bytes: Buffer;
  try {
    bytes = Buffer.from(sea.getAsset(SEA_CAP_ASSET));
  } catch {
    throw new Error(
      'this mqtt executable was built without cap.node and cannot capture live; read a capture file with -r, ' +
        'or rebuild the executable once the binding is built (npm rebuild cap && npm run build:binary)',
    );
  }
  const binding = { exports: {} as Record<string, unknown> };
  // a missing libpcap.so fails here with a message naming it, which loadCap() turns into advice
  process.dlopen(binding, extracted(bytes));
  // what cap's own lib/Cap.js does around the binding
  const Cap = binding.exports.Cap as CapModule['Cap'];
  Object.setPrototypeOf(Cap.prototype, EventEmitter.prototype);
  Object.assign(Cap, { findDevice: binding.exports.findDevice, deviceList: binding.exports.deviceList });
  return binding.exports as unknown as CapModule;
}

/** The cached copy of the binding, written (atomically) unless a file with its hash is there. */
function extracted(bytes: Buffer): string {
  const sha = createHash('sha256').update(bytes).digest('hex');
  const cache = process.env.XDG_CACHE_HOME || join(homedir() || tmpdir(), '.cache');
  const dir = join(cache, 'mqtt', sha);
  const file = join(dir, SEA_CAP_ASSET);
  // checked on every load, not trusted by name: a changed file is replaced before dlopen
  if (existsSync(file) && createHash('sha256').update(readFileSync(file)).digest('hex') === sha) return file;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, bytes, { mode: 0o755 });
  renameSync(partial, file);
  return file;
}
