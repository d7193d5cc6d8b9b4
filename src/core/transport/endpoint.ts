export type Scheme = 'mqtt' | 'mqtts' | 'ws' | 'wss' | 'unix';

export interface Endpoint {
  scheme: Scheme;
  host: string;
  port: number;
  /** WebSocket path (default "/mqtt") or unix socket path */
  path?: string;
}

export interface TlsConfig {
  caFile?: string;
  caPath?: string;
  certFile?: string;
  keyFile?: string;
  useOsCerts?: boolean;
  /** like mosquitto: disables host name verification only, the chain is still verified */
  insecure?: boolean;
  version?: 'tlsv1.1' | 'tlsv1.2' | 'tlsv1.3';
  ciphers?: string;
  alpn?: string;
  psk?: { identity: string; keyHex: string };
  /** append the TLS secrets in NSS key log format (Mosquitto 2.1 --tls-keylog) */
  keylogFile?: string;
}

export interface OpenOptions {
  endpoint: Endpoint;
  tls?: TlsConfig;
  bindAddress?: string;
  nodelay?: boolean;
  /** WebSocket path when the endpoint has none */
  wsPath?: string;
}
