import { createRequire } from 'node:module';
import { StoreError } from './store-error.js';

export type LmdbModule = typeof import('lmdb');

let loaded: Promise<{ lmdb: LmdbModule; file: string }> | undefined;

/**
 * The lmdb package, loaded only when persistence is on (its native binding is the one heavy
 * part of the broker), with the file it was loaded from (the store check runs it in a child).
 * A single executable has built-in modules only: there the binding is not available yet.
 */
export function loadLmdb(storePath: string): Promise<{ lmdb: LmdbModule; file: string }> {
  loaded ??= (async () => {
    try {
      const sea = await import('node:sea');
      if (sea.isSea())
        throw new StoreError(
          `persistence (${storePath}) is not available in the single executable: its LMDB binding is not embedded yet; run the npm-installed mqtt (npm i -g) for a persistent broker`,
          storePath,
        );
    } catch (err) {
      if (err instanceof StoreError) throw err;
      // a Node without node:sea: not a single executable
    }
    try {
      // the CommonJS bundle gets the module itself, an ES import may get it as `default`
      const lmdb = (await import('lmdb')) as Partial<LmdbModule> & { default?: LmdbModule };
      const req = createRequire(typeof __filename === 'string' && __filename ? __filename : import.meta.url);
      return { lmdb: typeof lmdb.open === 'function' ? (lmdb as LmdbModule) : lmdb.default!, file: req.resolve('lmdb') };
    } catch (err) {
      const reason = String((err as Error)?.message ?? err).split('\n')[0];
      throw new StoreError(
        `persistence (${storePath}) needs the lmdb package and its native binding, which could not be loaded (${reason}); reinstall mqtt with npm so its dependencies are present`,
        storePath,
      );
    }
  })();
  loaded.catch(() => (loaded = undefined));
  return loaded;
}
