import { EventEmitter } from 'node:events';
import { seaAssetFile } from '../core/runtime/sea-asset-file.js';
import { seaModule } from '../core/runtime/single-executable.js';

/** The asset name scripts/build-binary.mjs embeds node_modules/cap/build/Release/cap.node under. */
export const SEA_CAP_ASSET = 'cap.node';

type CapModule = typeof import('cap');

/**
 * In a Node single executable `require('cap')` cannot work (built-ins only), so the binding ships
 * as an asset, written to a cache file (seaAssetFile) and loaded with process.dlopen. Resolves to null when this is not a single executable.
 */
export async function loadSeaCap(): Promise<CapModule | null> {
  const sea = await seaModule();
  if (sea === undefined) return null;
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
  process.dlopen(binding, seaAssetFile(SEA_CAP_ASSET, bytes));
  // what cap's own lib/Cap.js does around the binding
  const Cap = binding.exports.Cap as CapModule['Cap'];
  Object.setPrototypeOf(Cap.prototype, EventEmitter.prototype);
  Object.assign(Cap, { findDevice: binding.exports.findDevice, deviceList: binding.exports.deviceList });
  return binding.exports as unknown as CapModule;
}
