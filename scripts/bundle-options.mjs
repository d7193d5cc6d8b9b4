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
