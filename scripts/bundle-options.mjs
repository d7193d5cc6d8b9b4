// esbuild options that decide what goes into dist/mqtt.cjs, shared by scripts/build.mjs and
// scripts/third-party-licenses.mjs so the licence list follows the bundle exactly.
export const bundleOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // native addons stay outside the bundle and are loaded lazily (lmdb only with persistence on)
  external: ['cap', 'bufferutil', 'utf-8-validate', 'lmdb'],
  // start-up: Node's own stream module instead of the readable-stream copy, no `debug`, and
  // child_process only on use (scripts/shims/ says why for each)
  alias: {
    'readable-stream': './scripts/shims/readable-stream.cjs',
    debug: './scripts/shims/debug.cjs',
    child_process: './scripts/shims/child-process.cjs',
    'node:child_process': './scripts/shims/child-process.cjs',
  },
  // import() of node: built-ins and optional addons becomes require(): a single executable's main
  // script has no dynamic import at all ("A dynamic import callback was not specified")
  supported: { 'dynamic-import': false },
};

/**
 * lmdb for the single executable (scripts/build-binary.mjs; its licences in
 * scripts/third-party-licenses.mjs): its CommonJS build bundled with its addon loader replaced by
 * scripts/shims/lmdb-addon.cjs; msgpackr's optional native extractor stays out (msgpackr falls
 * back to JavaScript). `lmdbDir`: node_modules/lmdb.
 */
export function lmdbSeaBundleOptions(lmdbDir, shimFile) {
  return {
    entryPoints: [`${lmdbDir}/dist/index.cjs`],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['msgpackr-extract'],
    alias: { 'node-gyp-build-optional-packages': shimFile },
    logLevel: 'warning',
  };
}

/** The subcommands whose modules src/cli/program.ts loads on demand (src/commands/<name>.ts). */
const SUBCOMMAND_MODULES = ['pub', 'sub', 'rr', 'test', 'passwd', 'broker', 'bench', 'sniff', 'ctrl', 'completion'];

/**
 * A bundle that holds one subcommand only (dist/mqtt-<name>.cjs): the other subcommands' modules
 * and the worker-thread entries become a module that throws when evaluated. bin/mqtt runs it only
 * when argv[2] is that subcommand, where buildProgram loads that one command alone, so the stubs
 * are never evaluated; if they ever were, the error says so rather than something running half.
 * `check` (after the build) fails when a stub no longer matches anything, so a moved file cannot
 * silently turn this bundle back into the whole toolkit.
 */
export function aloneBundle(name) {
  const others = SUBCOMMAND_MODULES.filter((n) => n !== name);
  const stubbed = new Set();
  const pattern = new RegExp(`(^|/)(?:commands/(?:${others.join('|')})|worker-threads)\\.js$`);
  return {
    file: `dist/mqtt-${name}.cjs`,
    plugin: {
      name: `mqtt-${name}-alone`,
      setup(b) {
        b.onResolve({ filter: pattern }, (args) => {
          const word = /([a-z-]+)\.js$/.exec(args.path)[1];
          stubbed.add(word);
          return { path: word, namespace: 'not-in-this-bundle' };
        });
        b.onLoad({ filter: /.*/, namespace: 'not-in-this-bundle' }, (args) => ({
          loader: 'js',
          contents: `throw new Error(${JSON.stringify(`dist/mqtt-${name}.cjs holds \`mqtt ${name}\` only, not ${args.path}: run dist/mqtt.cjs`)});`,
        }));
      },
    },
    check() {
      const missing = [...others, 'worker-threads'].filter((n) => !stubbed.has(n));
      if (missing.length > 0) {
        throw new Error(`build: dist/mqtt-${name}.cjs: no import of ${missing.join(', ')} to leave out (moved? update scripts/bundle-options.mjs)`);
      }
    },
  };
}
