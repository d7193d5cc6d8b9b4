import type { ClientConfig } from '../../src/client/config.js';
import type { ProtocolVersion } from '../../src/core/protocol/types.js';

/** A ClientConfig for tests, TCP to 127.0.0.1:port. */
export function testClientConfig(port: number, protocolVersion: ProtocolVersion, overrides: Partial<ClientConfig> = {}): ClientConfig {
  return {
    endpoint: { scheme: 'mqtt', host: '127.0.0.1', port },
    protocolVersion,
    clientId: `test-${Math.random().toString(36).slice(2, 10)}`,
    keepalive: 60,
    cleanSession: true,
    properties: {},
    maxInflight: 20,
    nodelay: true,
    debug: false,
    quiet: false,
    ...overrides,
  };
}
