import { createRequire } from 'node:module';
import { seaAssetFile } from '../../core/runtime/sea-asset-file.js';
import { seaModule } from '../../core/runtime/single-executable.js';
import { StoreError } from './store-error.js';

export type LmdbModule = typeof import('lmdb');

/** The assets scripts/build-binary.mjs embeds lmdb under in the single executable. */
const SEA_LMDB_JS = 'lmdb.cjs';
const SEA_LMDB_ADDON = 'lmdb.node';

/** lmdb, the file it was loaded from (the store check loads it in a child), and whether it is the single executable's embedded copy */
export interface LoadedLmdb {
  lmdb: LmdbModule;
  file: string;
  embedded: boolean;
}

let loaded: Promise<LoadedLmdb> | undefined;

/**
 * The lmdb package, loaded only when persistence is on (its native binding is the one heavy
 * part of the broker), with the file it was loaded from (the store check runs it in a child).
 * In the single executable (built-in modules only) lmdb and its addon are embedded assets.
 */
export function loadLmdb(storePath: string): Promise<LoadedLmdb> {
  loaded ??= (async () => {
    const sea = await seaModule();
    if (sea !== undefined) return loadEmbeddedLmdb(sea, storePath);
    try {
      // the CommonJS bundle gets the module itself, an ES import may get it as `default`
      const lmdb = (await import('lmdb')) as Partial<LmdbModule> & { default?: LmdbModule };
      const req = createRequire(typeof __filename === 'string' && __filename ? __filename : import.meta.url);
      return { lmdb: typeof lmdb.open === 'function' ? (lmdb as LmdbModule) : lmdb.default!, file: req.resolve('lmdb'), embedded: false };
    } catch (err) {
      throw new StoreError(
        `persistence (${storePath}) needs the lmdb package and its native binding, which could not be loaded (${firstLine(err)}); reinstall mqtt with npm so its dependencies are present`,
        storePath,
      );
    }
  })();
  loaded.catch(() => (loaded = undefined));
  return loaded;
}

/**
 * lmdb from the executable's assets: its addon written to a cache file and loaded with
 * process.dlopen (where scripts/shims/lmdb-addon.cjs, lmdb's loader in the bundle, finds it), then
 * the bundled lmdb required from its cache file with a require that reads files.
 */
function loadEmbeddedLmdb(sea: typeof import('node:sea'), storePath: string): LoadedLmdb {
  let js: Buffer;
  let addon: Buffer;
  try {
    js = Buffer.from(sea.getAsset(SEA_LMDB_JS));
    addon = Buffer.from(sea.getAsset(SEA_LMDB_ADDON));
  } catch {
    throw new StoreError(`persistence (${storePath}) is not available: this executable was built without lmdb; rebuild it (npm run build:binary) or run the npm-installed mqtt`, storePath);
  }
  try {
    const binding = { exports: {} as Record<string, unknown> };
    process.dlopen(binding, seaAssetFile(SEA_LMDB_ADDON, addon));
    (globalThis as { __mqttLmdbAddon?: unknown }).__mqttLmdbAddon = binding.exports;
    const file = seaAssetFile(SEA_LMDB_JS, js);
    return { lmdb: createRequire(file)(file) as LmdbModule, file, embedded: true };
  } catch (err) {
    throw new StoreError(`persistence (${storePath}) needs the embedded LMDB binding, which could not be loaded (${firstLine(err)})`, storePath);
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}
