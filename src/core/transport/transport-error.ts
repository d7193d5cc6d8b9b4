import { errnoText } from '../protocol/reason-codes.js';

/** Why a transport could not be opened, in words a user can act on. */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly kind: 'refused' | 'lookup' | 'tls' | 'other',
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** mosquitto_pub's words for the usual failures: C's strerror text, or "Lookup error.". */
export function describeSocketError(err: NodeJS.ErrnoException): TransportError {
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' || err.code === 'EAI_FAIL') return new TransportError('Lookup error.', 'lookup');
  const text = err.code ? errnoText(err.code) : undefined;
  if (text) return new TransportError(text, err.code === 'ECONNREFUSED' ? 'refused' : 'other');
  if (err.code?.startsWith('ERR_TLS') || err.code?.startsWith('ERR_SSL') || /certificate|SSL|TLS|self.signed|unable to verify|altnames/i.test(err.message)) {
    return new TransportError(`TLS error: ${tlsErrorDetail(err)}`, 'tls');
  }
  return new TransportError(err.message, 'other');
}

export function tlsFailure(err: NodeJS.ErrnoException): TransportError {
  const described = describeSocketError(err);
  return described.kind === 'tls' ? described : new TransportError(`TLS error: ${described.message}`, 'tls');
}

/**
 * One readable line for a TLS failure: OpenSSL's reason ("tlsv13 alert certificate required")
 * rather than its multi-line error-stack dump, and no dangling ": " (Node's host name message
 * ends in an empty list).
 */
function tlsErrorDetail(err: NodeJS.ErrnoException & { reason?: unknown; library?: unknown }): string {
  const fromOpenSsl = typeof err.library === 'string' && typeof err.reason === 'string' && err.reason !== '';
  const text = fromOpenSsl ? (err.reason as string) : err.message;
  return text.split('\n')[0]!.replace(/[\s:]+$/, '');
}
