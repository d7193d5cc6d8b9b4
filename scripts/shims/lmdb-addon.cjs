// In the single executable, lmdb's loader (node-gyp-build-optional-packages, which looks for the
// addon in node_modules) is replaced by this: the addon was embedded as an asset, extracted and
// loaded with process.dlopen by src/broker/persistence/lmdb-binding.ts before lmdb is required.
module.exports = function loadEmbeddedLmdbAddon() {
  const addon = globalThis.__mqttLmdbAddon;
  if (!addon) throw new Error('the embedded lmdb addon was not loaded before lmdb');
  return addon;
};
