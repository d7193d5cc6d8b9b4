/**
 * One `connection` section at run time: a client inside the broker, as Mosquitto's bridge is a
 * context of its own. Two MqttClients on the session engine:
 * - the local side, connected to this broker over an in-memory stream pair (MQTT 5, so its
 *   subscriptions to the `out`/`both` topics are no-local and retain-as-published: what came
 *   in over the bridge never goes back out over it);
 * - the remote side, connected with the broker's transports (TCP or TLS) to the remote broker,
 *   subscribed to the `in`/`both` topics (v5: no-local; v3: Mosquitto's try_private flag, which
 *   a Mosquitto remote reads as "do not echo, keep the retain flag").
 * QoS 1/2 messages for the remote wait in a bounded queue while it is away and in the remote
 * client's session while unacknowledged; a reconnect resends those (DUP on a present session).
 */
import { duplexPair } from 'node:stream';
import type { IPublishPacket } from 'mqtt-packet';
import { MqttClient, type ClientHooks } from '../../client/mqtt-client.js';
import type { ClientConfig } from '../../client/config.js';
import { ConnectError } from '../../client/errors.js';
import { FifoQueue } from '../../core/collections/fifo-queue.js';
import type { Properties, QoS } from '../../core/protocol/types.js';
import type { BrokerClient } from '../broker-client.js';
import type { Broker } from '../broker.js';
import type { BridgeAddress, BridgeConfig } from '../config/bridge-config.js';
import { nextRestartMs, STABLE_CONNECTION_MS } from './backoff.js';
import { remapIn, remapOut } from './topic-map.js';
import { probeTcp } from './probe.js';
import { encodePublish } from '../../core/protocol/publish-encoder.js';

interface Pending {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties?: Properties;
}

/** How often a bridge on a secondary address checks whether the primary is back (Mosquitto: 5 s). */
const PRIMARY_RETRY_MS = 5000;

export class Bridge {
  private local?: MqttClient;
  /** the local side's connection inside the broker (its clients exempt from auth and ACLs) */
  localClient?: BrokerClient;
  private remote?: MqttClient;
  private readonly remoteHooks: ClientHooks;
  private readonly pending = new FifoQueue<Pending>();
  private addressIndex = 0;
  private restartMs?: number;
  private connectedAt = 0;
  private stopped = false;
  private restartTimer?: NodeJS.Timeout;
  private primaryTimer?: NodeJS.Timeout;
  dropped = 0;
  /** QoS 2 messages the remote acknowledged with PUBACK (see remoteHooks.qos2Puback) */
  private qos2Downgraded = 0;

  constructor(
    readonly config: BridgeConfig,
    private readonly broker: Broker,
    private readonly onLocalClient: (client: BrokerClient) => void,
  ) {
    this.remoteHooks = {
      bridgeMode: config.tryPrivate && config.protocolVersion !== 5,
      resendAlways: true,
      // Mosquitto's bridge answers a PUBREC for an unknown id with a plain PUBREL (06-bridge-fail-persist-resend-qos2)
      plainPubrelNotFound: true,
      connected: () => this.subscribeRemote(),
      // RabbitMQ's MQTT plugin answers a QoS 2 PUBLISH with PUBACK: it took the message at QoS 1.
      // Ending the flow there, rather than closing and resending it forever (each copy delivered)
      qos2Puback: () => {
        if (this.qos2Downgraded++ === 0) this.log.warning(`Warning: Remote broker of bridge ${config.name} acknowledged a QoS 2 message with PUBACK: it takes QoS 2 as QoS 1.`);
      },
    };
  }

  get connected(): boolean {
    return this.remote?.connected ?? false;
  }

  async start(): Promise<void> {
    await this.startLocal();
    if (this.config.notifications) this.notifyLocal('0');
    void this.connectRemote();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.primaryTimer);
    const remote = this.remote;
    if (remote?.connected) await remote.disconnect().catch(() => undefined);
    else remote?.destroy();
    await this.local?.disconnect().catch(() => undefined);
  }

  private get log() {
    return this.broker.log;
  }

  private async startLocal(): Promise<void> {
    const c = this.config;
    const local = new MqttClient(
      this.clientConfig({ scheme: 'mqtt', host: 'local', port: 0 }, 5, c.localClientId, c.localCleanSession, c.localUsername, c.localPassword, 0),
      {
        openStream: async () => {
          const [ours, theirs] = duplexPair();
          const client = this.broker.handle(theirs, {
            remoteAddress: 'bridge',
            remotePort: 0,
            listener: { port: 0, protocol: 'mqtt', name: `bridge ${c.name}` },
          });
          if (client) {
            this.localClient = client;
            this.onLocalClient(client);
          }
          return ours;
        },
      },
    );
    this.local = local;
    local.on('message', (p) => this.outgoing(p));
    await local.connect();
    const subs = c.topics
      .filter((t) => t.direction !== 'in')
      .map((t) => ({ topic: t.localTopic, qos: t.qos, nl: true, rap: true, rh: 0 as const }));
    for (const s of subs) this.log.debug(`Bridge ${c.localClientId} doing local SUBSCRIBE on topic ${s.topic}`);
    if (subs.length > 0) await local.subscribe(subs);
  }

  private clientConfig(
    endpoint: ClientConfig['endpoint'],
    version: 3 | 4 | 5,
    clientId: string,
    clean: boolean,
    username: string | undefined,
    password: string | undefined,
    keepalive: number,
  ): ClientConfig {
    return {
      endpoint,
      protocolVersion: version,
      clientId,
      keepalive,
      cleanSession: clean,
      // a v5 session that outlives the connection, as Mosquitto asks for without clean start
      sessionExpiry: version === 5 && !clean ? 0xffffffff : undefined,
      username,
      password: password === undefined ? undefined : Buffer.from(password, 'utf8'),
      properties: {},
      maxInflight: this.broker.limits.maxInflightMessages || 0,
      nodelay: true,
      debug: false,
      quiet: true,
    };
  }

  private remoteConfig(addr: BridgeAddress): ClientConfig {
    const c = this.config;
    const cfg = this.clientConfig(
      { scheme: c.tls ? 'mqtts' : 'mqtt', host: addr.host, port: addr.port },
      c.protocolVersion,
      c.remoteClientId,
      c.cleanSession,
      c.remoteUsername,
      c.remotePassword,
      c.keepalive,
    );
    cfg.bindAddress = c.bindAddress;
    // Mosquitto's v5 bridge CONNECT: Receive Maximum (its max_inflight_messages), no Session Expiry
    cfg.sessionExpiry = undefined;
    const receiveMaximum = this.broker.limits.maxInflightMessages;
    if (c.protocolVersion === 5 && receiveMaximum > 0 && receiveMaximum < 65535) cfg.properties = { connect: { receiveMaximum } };
    if (c.tls) cfg.tls = { ...c.tls };
    // -v (log_type debug): the remote side's packets in libmosquitto's words, as Mosquitto logs its bridges'
    cfg.debug = this.broker.log.enabled('debug');
    if (c.notifications) cfg.will = { topic: c.notificationTopic, payload: Buffer.from('0'), qos: 1, retain: true };
    return cfg;
  }

  private async connectRemote(): Promise<void> {
    if (this.stopped) return;
    const c = this.config;
    const addr = c.addresses[this.addressIndex]!;
    this.log.notice(`Connecting bridge ${c.name} (${addr.host}:${addr.port})`);
    if (!this.remote) {
      this.remote = new MqttClient(this.remoteConfig(addr), this.remoteHooks);
      this.remote.on('message', (p) => this.incoming(p));
      this.remote.on('debug', (line) => this.log.debug(line));
      this.remote.on('connection-lost', (err) => {
        this.log.notice(`Bridge ${c.name}: connection to ${this.addressText()} lost: ${err.message}`);
        this.disconnected();
      });
    } else {
      this.remote.config.endpoint = this.remoteConfig(addr).endpoint;
    }
    try {
      await this.remote.connect();
    } catch (err) {
      if (this.stopped) return;
      if (err instanceof ConnectError && err.kind === 'refused' && err.code === 1 && this.remoteHooks.bridgeMode) {
        // the remote does not know the try_private flag: connect as an ordinary client
        this.log.warning(`Warning: Remote broker of bridge ${c.name} refused the bridge protocol (try_private); reconnecting without it.`);
        this.remoteHooks.bridgeMode = false;
        return this.connectRemote();
      }
      if (err instanceof ConnectError && err.kind === 'lost' && this.remoteHooks.bridgeMode) {
        // Some brokers close the connection without a CONNACK on a protocol level they do not know
        // (RabbitMQ's MQTT plugin for 0x84; Mosquitto, which only falls back on CONNACK 1, retries
        // forever there): one plain 3.1.1 CONNECT at once; if that is accepted, stay plain.
        this.log.warning(`Warning: Remote broker of bridge ${c.name} closed the connection without a CONNACK to the bridge protocol (try_private); trying without it.`);
        this.remoteHooks.bridgeMode = false;
        if (await this.connectPlain()) return this.onRemoteConnected();
        // the close was not about the flag (the plain CONNECT failed too): keep the flag, retry later
        this.remoteHooks.bridgeMode = true;
        if (this.stopped) return;
      }
      this.log.error(`Error creating bridge ${c.name}: ${(err as Error).message.replace(/\.$/, '')}.`);
      this.disconnected();
      return;
    }
    await this.onRemoteConnected();
  }

  /** One connection attempt without try_private; true once the remote has accepted it. */
  private async connectPlain(): Promise<boolean> {
    try {
      await this.remote!.connect();
      return true;
    } catch {
      return false;
    }
  }

  private addressText(): string {
    const a = this.config.addresses[this.addressIndex]!;
    return `${a.host}:${a.port}`;
  }

  private async onRemoteConnected(): Promise<void> {
    const c = this.config;
    const remote = this.remote!;
    this.connectedAt = Date.now();
    this.log.notice(`Bridge ${c.name} connected to ${this.addressText()} as ${c.remoteClientId}.`);
    if (c.notifications) {
      if (!c.notificationsLocalOnly) void remote.publish(c.notificationTopic, Buffer.from('1'), { qos: 1, retain: true }).catch(() => undefined);
      this.notifyLocal('1');
    }
    try {
      await Promise.all(this.subscriptions);
    } catch {
      return; // the connection went away meanwhile: 'connection-lost' restarts
    }
    if (!c.roundRobin && this.addressIndex !== 0) this.watchPrimary();
    this.flushPending();
  }

  private subscriptions: Array<Promise<unknown>> = [];

  /**
   * On CONNACK, before anything is resent: one SUBSCRIBE per `in`/`both` line and, with
   * bridge_attempt_unsubscribe, one UNSUBSCRIBE per `out` line (we may have been subscribed under
   * an older configuration), in the order of the lines, as Mosquitto's bridge__on_connect sends them.
   */
  private subscribeRemote(): void {
    const c = this.config;
    const remote = this.remote!;
    const v5 = c.protocolVersion === 5;
    this.subscriptions = [];
    for (const t of c.topics) {
      if (t.direction !== 'out') {
        const sub = v5 ? { topic: t.remoteTopic, qos: t.qos, nl: true, rap: true, rh: 0 as const } : { topic: t.remoteTopic, qos: t.qos };
        this.subscriptions.push(remote.subscribe([sub]));
      } else if (c.attemptUnsubscribe) {
        this.subscriptions.push(remote.unsubscribe([t.remoteTopic]));
      }
    }
  }

  /** Not round robin and on a secondary address: go back to the primary as soon as it answers. */
  private watchPrimary(): void {
    clearInterval(this.primaryTimer);
    this.primaryTimer = setInterval(() => {
      const primary = this.config.addresses[0]!;
      void probeTcp(primary.host, primary.port).then((up) => {
        if (!up || this.stopped || this.addressIndex === 0) return;
        clearInterval(this.primaryTimer);
        this.log.notice(`Bridge ${this.config.name}: primary address ${primary.host}:${primary.port} is back.`);
        // the restart that follows moves to the next address: the last one wraps to the primary
        this.addressIndex = this.config.addresses.length - 1;
        this.remote?.destroy();
        this.disconnected();
      });
    }, PRIMARY_RETRY_MS);
    this.primaryTimer.unref();
  }

  private disconnected(): void {
    clearInterval(this.primaryTimer);
    if (this.config.notifications) this.notifyLocal('0');
    if (this.stopped) return;
    if (this.config.startType === 'once') {
      this.log.notice(`Bridge ${this.config.name} (start_type once) will not be restarted.`);
      return;
    }
    const stable = this.connectedAt > 0 && Date.now() - this.connectedAt >= STABLE_CONNECTION_MS;
    this.restartMs = stable ? this.config.restartTimeout * 1000 : nextRestartMs(this.config, this.restartMs);
    this.connectedAt = 0;
    this.addressIndex = (this.addressIndex + 1) % this.config.addresses.length;
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => void this.connectRemote(), this.restartMs);
    this.restartTimer.unref();
  }

  private notifyLocal(state: '0' | '1'): void {
    this.broker.publish({ topic: this.config.notificationTopic, payload: Buffer.from(state), qos: 1, retain: true, senderId: this.config.localClientId });
  }

  /** A local message for the remote broker. */
  private outgoing(packet: IPublishPacket): void {
    const c = this.config;
    const message: Pending = {
      topic: remapOut(c.topics, packet.topic),
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
      qos: packet.qos,
      retain: c.outgoingRetain && packet.retain,
      properties: c.protocolVersion === 5 ? forwardedProperties(packet.properties) : undefined,
    };
    if (c.maxPacketSize > 0 && publishSize(message, c.protocolVersion) > c.maxPacketSize) {
      this.log.notice(`Bridge ${c.name}: dropped a message on ${message.topic} larger than bridge_max_packet_size (${c.maxPacketSize}).`);
      return;
    }
    if (this.remote?.connected && this.pending.length === 0) return this.send(message);
    // while the remote is away QoS 0 is dropped, as for an offline client; QoS 1/2 wait, bounded like a session's queue
    if (message.qos === 0) return;
    const max = this.broker.limits.maxQueuedMessages;
    if (max > 0 && this.pending.length >= max) {
      this.dropped++;
      if (this.dropped === 1 || this.dropped % 1000 === 0) {
        this.log.notice(`Outgoing messages are being dropped for bridge ${c.name} (${this.dropped} so far).`);
      }
      return;
    }
    this.pending.push(message);
  }

  private send(m: Pending): void {
    this.remote!.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain, properties: m.properties }).catch(() => {
      // not connected after all: keep it for the reconnect (QoS 0 goes, as above)
      if (m.qos > 0) this.pending.push(m);
    });
  }

  private flushPending(): void {
    while (this.pending.length > 0 && this.remote?.connected) this.send(this.pending.shift()!);
  }

  /** A remote message for this broker's subscribers. */
  private incoming(packet: IPublishPacket): void {
    const c = this.config;
    const topic = remapIn(c.topics, packet.topic);
    this.log.debug(`Received PUBLISH from ${c.remoteClientId} (q${packet.qos}, r${packet.retain ? 1 : 0}, '${topic}', ... (${packet.payload.length} bytes))`);
    this.broker.publish({
      topic,
      payload: Buffer.from(packet.payload),
      qos: packet.qos,
      retain: packet.retain,
      properties: forwardedProperties(packet.properties),
      // the local side's subscriptions are no-local: this message does not go back out
      senderId: c.localClientId,
    });
  }
}

/** v5 properties that travel with a message across a hop (not its alias nor the receiver's subscription ids). */
function forwardedProperties(p: Properties | undefined): Properties | undefined {
  if (!p) return undefined;
  const { topicAlias: _a, subscriptionIdentifier: _s, ...rest } = p as Properties & { topicAlias?: number; subscriptionIdentifier?: unknown };
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/** Bytes of the PUBLISH packet as it would go to the remote. */
function publishSize(m: Pending, version: 3 | 4 | 5): number {
  const packet = { cmd: 'publish' as const, topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, dup: false, messageId: 1, properties: m.properties };
  return encodePublish(packet, version).bytes.length;
}
