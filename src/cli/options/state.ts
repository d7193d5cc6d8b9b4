import type { ScramMethod } from '../../core/auth/scram.js';
import type { ProtocolVersion, QoS } from '../../core/protocol/types.js';
import type { PubConfig } from './pub-config.js';
import type { SubConfig } from './sub-config.js';
import type { PropertyOptionEntry } from '../property-option.js';

export type CommandKind = 'pub' | 'sub' | 'rr' | 'ctrl';
export type MessageMode = 'message' | 'file' | 'stdin-file' | 'stdin-line' | 'null' | 'json-lines';

/**
 * Everything the option groups write while the options are replayed in order, like mosquitto's
 * `struct mosq_config`: values are raw (as given) until the resolve step turns them into the
 * ClientConfig / PubConfig / SubConfig the runtimes take.
 */
export interface OptionState {
  readonly kind: CommandKind;
  conn: {
    host?: string;
    /** undefined until -p/-L/--unix: then 1883, or 8883 when --cafile/--capath/--psk is given */
    port?: number;
    transport: 'tcp' | 'ws';
    wsPath: string;
    bindAddress?: string;
    username?: string;
    password?: string;
    /** the password came from MQTT_PASSWORD, used only together with a username */
    passwordFromEnv: boolean;
    /** -P without a value: ask on the terminal once everything else is valid */
    passwordPrompt: boolean;
    /** --auth-method: MQTT 5 enhanced authentication with -u/-P */
    authMethod?: ScramMethod;
    id?: string;
    idPrefix?: string;
    keepalive: number;
    cleanSession: boolean;
    /** undefined = not given; 0xFFFFFFFF = never expires */
    sessionExpiry?: number;
    protocolVersion: ProtocolVersion;
    maxInflight: number;
    nodelay: boolean;
    debug: boolean;
    quiet: boolean;
  };
  tls: {
    caFile?: string;
    caPath?: string;
    certFile?: string;
    keyFile?: string;
    keyform?: string;
    version?: string;
    ciphers?: string;
    alpn?: string;
    insecure: boolean;
    useOsCerts: boolean;
    psk?: string;
    pskIdentity?: string;
    keylog?: string;
  };
  will: { topic?: string; payload?: string; qos: QoS; retain: boolean };
  /** -D groups, parsed as they come; checked together at the end */
  propertyEntries: PropertyOptionEntry[];
  /** pub and rr: at most one (the last -t wins); sub: every -t and -L topic in order */
  topics: string[];
  qos: QoS;
  pub: Pick<PubConfig, 'retain' | 'repeat' | 'repeatDelay' | 'failOnReason'> & {
    mode?: MessageMode;
    message?: string;
    file?: string;
    /** --replay-timing, --speed (with --json-lines) */
    replayTiming?: boolean;
    speed?: number;
    repeatGiven?: boolean;
  };
  /** already in SubConfig's shape: the options map one to one (rr uses the output and -W/-R ones) */
  sub: Omit<SubConfig, 'client' | 'topics' | 'qos'>;
  /** rr: -e, and [extra] --count */
  rr: { responseTopic?: string; count: number };
}

/** mosquitto's init_config() defaults (the first stage of the pipeline). */
export function initialState(kind: CommandKind): OptionState {
  return {
    kind,
    conn: {
      transport: 'tcp',
      wsPath: '/mqtt',
      passwordFromEnv: false,
      passwordPrompt: false,
      keepalive: 60,
      cleanSession: true,
      // mosquitto_rr and mosquitto_ctrl default to MQTT v5 (init_config)
      protocolVersion: kind === 'rr' || kind === 'ctrl' ? 5 : 4,
      maxInflight: 20,
      nodelay: false,
      debug: false,
      quiet: false,
    },
    tls: { insecure: false, useOsCerts: false },
    will: { qos: 0, retain: false },
    propertyEntries: [],
    topics: [],
    // mosquitto_ctrl's requests and response subscription are QoS 1
    qos: kind === 'ctrl' ? 1 : 0,
    pub: { retain: false, repeat: 1, repeatDelay: 0, failOnReason: false },
    sub: {
      filterOut: [],
      unsubscribe: [],
      exitAfterSubscribe: false,
      noRetained: false,
      retainedOnly: false,
      removeRetained: false,
      retainAsPublished: false,
      noLocal: false,
      verbose: false,
      noEol: false,
      pretty: false,
      json: false,
    },
    rr: { count: 1 },
  };
}
