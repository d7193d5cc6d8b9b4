// Bundle-time stand-in for node:child_process: commander requires it at load for executable
// subcommands, which `mqtt` never uses; loading it (and dgram behind it) on first use instead
// keeps it out of every start-up.
'use strict';
let real;
// not require('node:child_process'): the bundler would alias that to this very file
const load = () => (real ??= process.getBuiltinModule('node:child_process'));
module.exports = new Proxy({}, {
  get: (_, key) => load()[key],
  has: (_, key) => key in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_, key) => Object.getOwnPropertyDescriptor(load(), key),
});
