// Bundle-time stand-in for the npm `readable-stream` package (pulled in by mqtt-packet -> bl): Node's
// own stream module has the same Duplex/Readable/Writable API, and loading 200 KB of userland
// streams cost about 5 % of every `mqtt pub` start-up.
'use strict';
module.exports = require('node:stream');
