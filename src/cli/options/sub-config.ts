import type { ClientConfig } from '../../client/config.js';
import type { QoS } from '../../core/protocol/types.js';

export interface SubConfig {
  client: ClientConfig;
  topics: string[];
  qos: QoS;
  filterOut: string[];
  unsubscribe: string[];
  /** -C: exit after this many printed messages */
  count?: number;
  /** -W: absolute deadline in seconds, exit 27 */
  timeout?: number;
  /** extra: exit after this many seconds without a message (exit 27 like -W) */
  idleTimeout?: number;
  /** -E */
  exitAfterSubscribe: boolean;
  /** -R */
  noRetained: boolean;
  retainedOnly: boolean;
  removeRetained: boolean;
  retainAsPublished: boolean;
  noLocal: boolean;
  /** percentage 0.1..100 */
  randomFilter?: number;
  verbose: boolean;
  /** -N */
  noEol: boolean;
  /** -F, already validated */
  format?: string;
  pretty: boolean;
  /** extra: one JSON object per line */
  json: boolean;
}
