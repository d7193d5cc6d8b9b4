'use strict';
// V8 code cache for dist/mqtt.cjs (Node 20 has no module.enableCompileCache): `npm run build`
// writes dist/mqtt.cjs.cache, bin/mqtt compiles the bundle with it, and compiling the 0.9 MB
// bundle, about a third of a one-shot `mqtt pub`, is skipped. Copied to dist/code-cache.cjs.
//
// V8 accepts a cache whose source merely has the same length, so the cache starts with the
// bundle's build id (the last line of the bundle): a rebuilt bundle never runs stale bytecode.
const fs = require('node:fs');
const vm = require('node:vm');
const { wrap } = require('node:module');

const ID_LINE = /\n\/\/ build-id: ([0-9a-f]+)\n?$/;

/**
 * esbuild escapes every non-ASCII character in code (charset ascii), leaving at most a few in
 * comments, so latin1 gives the same program as utf8, faster; the cache must be made from the
 * very same string, hence one reader for both.
 */
function read(file) {
  return fs.readFileSync(file, 'latin1');
}

function buildId(source) {
  const m = ID_LINE.exec(source.slice(-80));
  return m ? m[1] : undefined;
}

/** The bundle as a CommonJS module function, compiled with the cache when it fits; or undefined. */
function compile(file) {
  const source = read(file);
  let cache;
  try {
    cache = fs.readFileSync(`${file}.cache`);
  } catch {
    // no cache: compile as usual
  }
  return compileSource(source, cache, file);
}

/**
 * The same from the bundle's text and the cache file's bytes (a single executable has them as
 * assets, scripts/build-binary.mjs): the cache is used only when it names the bundle's build id.
 */
function compileSource(source, cache, filename) {
  const id = buildId(source);
  let cachedData;
  if (id && cache) {
    const head = Buffer.from(`${id}\n`);
    if (cache.subarray(0, head.length).equals(head)) cachedData = cache.subarray(head.length);
  }
  const script = new vm.Script(wrap(source), { filename, cachedData });
  return script.runInThisContext();
}

/** Writes FILE.cache after running `warmUp` so the functions it compiled are in the cache too. */
async function writeCache(file, warmUp) {
  const source = read(file);
  const id = buildId(source);
  if (!id) throw new Error(`${file} has no build-id line`);
  const script = new vm.Script(wrap(source), { filename: file });
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, require('node:module').createRequire(file), mod, file, require('node:path').dirname(file));
  await warmUp(mod.exports);
  const tmp = `${file}.cache.${process.pid}`;
  fs.writeFileSync(tmp, Buffer.concat([Buffer.from(`${id}\n`), script.createCachedData()]));
  fs.renameSync(tmp, `${file}.cache`);
}

module.exports = { compile, compileSource, writeCache };
