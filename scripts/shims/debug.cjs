// Bundle-time stand-in for the npm `debug` package (mqtt-packet's internal tracing, which the
// toolkit never enables): a logger that does nothing, without reading the environment at start-up.
'use strict';
function createDebug() {
  const log = () => {};
  log.enabled = false;
  log.extend = createDebug;
  return log;
}
createDebug.enable = () => {};
createDebug.disable = () => '';
createDebug.enabled = () => false;
module.exports = createDebug;
module.exports.default = createDebug;
