'use strict';
// Build-time warm-up for the V8 code cache (scripts/build.mjs): a real one-shot `mqtt pub`
// against a stand-in broker on 127.0.0.1, so what a shell loop runs (option parsing, connect,
// CONNECT/CONNACK, PUBLISH, DISCONNECT) is in the cache, not only what loading the bundle compiles.
// A failure here costs only speed: the cache is still written with what did run.
const net = require('node:net');

async function warmPublish(bundle) {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    // CONNACK (3.1.1, accepted) to the CONNECT; then read until the client's DISCONNECT closes
    socket.once('data', () => socket.write(Buffer.from([0x20, 2, 0, 0])));
    socket.resume();
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  try {
    const port = String(server.address().port);
    await bundle.main(['node', 'mqtt', 'pub', '-h', '127.0.0.1', '-p', port, '-t', 'warm-up', '-m', 'x']);
  } catch {
    // no loopback here: the cache holds less
  } finally {
    server.close();
  }
}

module.exports = { warmPublish };
