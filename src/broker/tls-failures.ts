import type net from 'node:net';
import type tls from 'node:tls';
import type { BrokerLog } from './log.js';

/**
 * OpenSSL's error as Mosquitto prints it, "error:0A000086:SSL routines::certificate verify
 * failed", from Node's longer form ("80FC…:error:0A000086:SSL routines:tls_process…:certificate
 * verify failed:../deps/…:350:").
 */
export function opensslText(message: string): string | undefined {
  const m = /error:([0-9A-F]{8}):([^:]*):[^:]*:([^:\n]*)/.exec(message);
  return m ? `error:${m[1]}:${m[2]}::${m[3]}` : undefined;
}

/** Why a client certificate failed verification, from Node's authorizationError code. */
const VERIFY_REASONS: Readonly<Record<string, string>> = {
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  CERT_REVOKED: 'certificate revoked',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  UNABLE_TO_GET_ISSUER_CERT: 'unable to get issuer certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  CERT_SIGNATURE_FAILURE: 'certificate signature failure',
  UNABLE_TO_GET_CRL: 'unable to get certificate CRL',
  CRL_HAS_EXPIRED: 'CRL has expired',
  INVALID_PURPOSE: 'unsupported certificate purpose',
  CERT_CHAIN_TOO_LONG: 'certificate chain too long',
};

/** "127.0.0.1:50000" of a TLS socket, also once it is destroyed (the TCP socket under it keeps it). */
function peerOf(socket: tls.TLSSocket): string {
  const raw = (socket as unknown as { _parent?: net.Socket })._parent;
  const s = raw && raw.remoteAddress ? raw : socket;
  return `${s.remoteAddress ?? 'unknown'}:${s.remotePort ?? 0}`;
}

/**
 * Logs a handshake that failed the way Mosquitto does: the connection (notice, with
 * connection_messages), "OpenSSL Error[0]: …" (error), then "Client <unknown> disconnected:
 * Protocol error." (notice). A client certificate that does not verify is named with its reason,
 * which Mosquitto leaves out.
 */
function logFailure(log: BrokerLog, peer: string, port: number, openssl: string | undefined, detail?: string): void {
  log.connection(`New connection from ${peer} on port ${port}.`);
  if (openssl === undefined) {
    // closed, reset or timed out before the handshake finished: nothing OpenSSL could say
    log.connection(`Client <unknown> closed its connection.`);
    return;
  }
  log.error(`OpenSSL Error[0]: ${openssl}${detail ? ` (${detail})` : ''}`);
  log.connection('Client <unknown> disconnected: Protocol error.');
}

export interface TlsFailureWatch {
  /**
   * Whether a TLS connection may go on: with require_certificate its client certificate must have
   * verified. Otherwise the failure is logged and the socket destroyed (fail closed: the listener
   * runs with rejectUnauthorized false only so that this can say why).
   */
  admit(socket: tls.TLSSocket): boolean;
}

/**
 * Watches a TLS (or HTTPS, for WebSocket) server for handshakes that fail and logs each with its
 * reason at Mosquitto's levels: no client certificate, one that does not verify (expired, another
 * CA, revoked), plain TCP on a TLS port, a client that distrusts the server.
 */
export function watchTlsFailures(server: tls.Server, log: BrokerLog, port: () => number, requireCertificate: boolean): TlsFailureWatch {
  server.on('tlsClientError', (err: Error & { code?: string }, socket: tls.TLSSocket) => {
    logFailure(log, peerOf(socket), port(), opensslText(err.message) ?? (err.code === 'ERR_SSL_HTTP_REQUEST' ? err.message : undefined));
  });
  const admit = (socket: tls.TLSSocket): boolean => {
    if (!requireCertificate || socket.authorized) return true;
    const noCertificate = Object.keys(socket.getPeerCertificate() ?? {}).length === 0;
    const code = String(socket.authorizationError ?? 'unknown');
    if (noCertificate) logFailure(log, peerOf(socket), port(), 'error:0A0000C7:SSL routines::peer did not return a certificate');
    else logFailure(log, peerOf(socket), port(), 'error:0A000086:SSL routines::certificate verify failed', VERIFY_REASONS[code] ?? code);
    socket.destroy();
    return false;
  };
  return { admit };
}
