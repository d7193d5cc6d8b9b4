/**
 * One `connection` section at run time: a client inside the broker, as Mosquitto's bridge is a
 * context of its own. Two sides:
 * - the local side (BridgeLocalClient): a session of this broker whose subscriptions to the
 *   `out`/`both` topics are no-local and retain-as-published (what came in over the bridge never
 *   goes back out over it); the router hands it the message objects, and its outgoing flow is
 *   the bridge's in-flight window and bounded queue for the remote;
 * - the remote side, an MqttClient on the session engine connected with the broker's transports
 *   (TCP or TLS) to the remote broker, subscribed to the `in`/`both` topics (v5: no-local; v3:
 *   Mosquitto's try_private flag, which a Mosquitto remote reads as "do not echo, keep the
 *   retain flag").
 * A QoS 1/2 message for the remote stays in the local session until the remote has acknowledged
 * it: queued while the remote is away, resent after a reconnect, and with persistence on (and
 * local_cleansession false) kept across a restart of this broker.
 */
import type { IPublishPacket } from 'mqtt-packet';
import { MqttClient, type ClientHooks } from '../../client/mqtt-client.js';
import type { PublishListener } from '../../client/client-session.js';
import type { ClientConfig } from '../../client/config.js';
import { ConnectError } from '../../client/errors.js';
import type { Properties, QoS } from '../../core/protocol/types.js';
import { QOS0_BACKLOG_BYTES, type Broker } from '../broker.js';
import { remainingExpirySeconds, type BrokerMessage } from '../message.js';
import type { SessionClient } from '../session.js';
import { BridgeLocalClient, type LocalSideOwner } from './local-side.js';
import { addressText, type BridgeAddress, type BridgeConfig } from '../config/bridge-config.js';
import { nextRestartMs, STABLE_CONNECTION_MS } from './backoff.js';
import { remapIn, remapOut } from './topic-map.js';
import { EchoFilter } from './echo-filter.js';
import { RC } from '../../core/protocol/reason-codes.js';
import { PacketIdSet } from './packet-id-set.js';
import { probeTcp } from './probe.js';
import { encodePublishBytes } from '../../core/protocol/publish-encoder.js';

/** How long a stopping bridge lets the remote's acknowledgements of what it has in flight come in. */
const STOP_DRAIN_MS = 1000;

/** How often a bridge on a secondary address checks whether the primary is back (Mosquitto: 5 s). */
const PRIMARY_RETRY_MS = 5000;

export class Bridge implements LocalSideOwner {
  /** the local side: a session inside the broker (exempt from auth and ACLs) */
  readonly local: BridgeLocalClient;
  private remote?: MqttClient;
  private readonly remoteHooks: ClientHooks;
  /** local packet ids of the QoS 1/2 deliveries the remote client holds (it resends them itself) */
  private readonly withRemote = new PacketIdSet();
  /** bytes of the last PUBLISH forwarded: QoS 0's backlog in messages is reckoned with it */
  private lastFrameBytes = 0;
  /**
   * QoS 0 deliveries made while the remote connection awaits its CONNACK or (start_type lazy) is
   * down; QoS 1/2 wait in flight in the local session. `seq` orders them among those.
   */
  private early: Array<{ seq: number; topic: string; payload: Buffer; out: { qos: QoS; retain: boolean; properties?: Properties } }> = [];
  /** deliveries taken while the remote was not connected, numbered in arrival order */
  private arrivals = 0;
  /** local packet id -> arrival number of a QoS 1/2 delivery taken while the remote was not connected */
  private heldSince = new Map<number, number>();
  /**
   * The highest QoS the remote took so far: lowered by one each time it refuses our CONNECT with
   * 0x9B (the state topic's will QoS), as Mosquitto's bridge does; never raised again.
   */
  private qosCap: QoS = 2;
  private addressIndex = 0;
  private restartMs?: number;
  private connectedAt = 0;
  private stopped = false;
  private restartTimer?: NodeJS.Timeout;
  private primaryTimer?: NodeJS.Timeout;
  /** QoS 2 messages the remote acknowledged with PUBACK (see remoteHooks.qos2Puback) */
  private qos2Downgraded = 0;
  /**
   * start_type lazy, remote down: waiting until `threshold` messages wait for it (Mosquitto's
   * lazy_reconnect, set by db__message_insert). The local side keeps taking deliveries meanwhile.
   */
  private standby = false;
  /** start_type lazy: after a failed attempt, none before this time (restart_timeout, as automatic) */
  private wakeNotBefore = 0;
  /** start_type lazy: the idle check while connected, the threshold check while down */
  private lazyTimer?: NodeJS.Timeout;
  /** messages forwarded or received since the idle check last looked */
  private traffic = 0;

  constructor(
    readonly config: BridgeConfig,
    private readonly broker: Broker,
    onLocalClient: (client: SessionClient) => void,
  ) {
    this.local = new BridgeLocalClient(config.localClientId, config.name, broker, this);
    if (config.localUsername !== undefined) this.local.username = config.localUsername;
    onLocalClient(this.local);
    this.remoteHooks = {
      bridgeMode: config.tryPrivate && config.protocolVersion !== 5,
      resendAlways: true,
      // Mosquitto's bridge answers a PUBREC for an unknown id with a plain PUBREL (06-bridge-fail-persist-resend-qos2)
      plainPubrelNotFound: true,
      // and closes on a server's protocol violation without a DISCONNECT (06-bridge-remap-receive-wildcard)
      closeWithoutDisconnect: true,
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
    const c = this.config;
    this.local.attach(
      c.localCleanSession,
      c.topics.filter((t) => t.direction !== 'in').map((t) => ({ filter: t.localTopic, qos: t.qos })),
    );
    if (this.config.notifications) this.notifyLocal('0');
    void this.connectRemote();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.primaryTimer);
    clearInterval(this.lazyTimer);
    const remote = this.remote;
    // what the remote has but has not acknowledged yet: its acks are let in for a moment, so that
    // a clean stop does not leave them in flight to be sent again after the next start (a remote
    // whose PUBACK waits for its disk, as ours in durable mode, answers a few ms after delivering)
    if (remote?.connected && this.withRemote.size > 0) await this.drain(STOP_DRAIN_MS);
    this.local.offline();
    if (remote?.connected) await remote.disconnect().catch(() => undefined);
    else remote?.destroy();
    this.local.detach();
  }

  private drained?: () => void;

  /** Resolves once nothing sent to the remote awaits its acknowledgement, or after `ms`. */
  private drain(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.drained = done;
    }).finally(() => (this.drained = undefined));
  }

  private get log() {
    return this.broker.log;
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
      // the remote answers a window of 20 in lock-step: the next PUBLISH goes as soon as a PUBACK is read
      answerEachRead: true,
      debug: false,
      quiet: true,
    };
  }

  private remoteConfig(addr: BridgeAddress): ClientConfig {
    const c = this.config;
    const ws = addr.webSocket;
    const cfg = this.clientConfig(
      ws ? { scheme: ws.secure ? 'wss' : 'ws', host: addr.host, port: addr.port, path: ws.path } : { scheme: c.tls ? 'mqtts' : 'mqtt', host: addr.host, port: addr.port },
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
    // wss:// without bridge_cafile/capath: the system's CAs, the certificate verified as always
    if (c.tls) cfg.tls = { ...c.tls };
    else if (ws?.secure) cfg.tls = {};
    // -v (log_type debug): the remote side's packets in libmosquitto's words, as Mosquitto logs its bridges'
    cfg.debug = this.broker.log.enabled('debug');
    if (c.notifications) cfg.will = { topic: c.notificationTopic, payload: Buffer.from('0'), qos: this.notificationQos, retain: true };
    return cfg;
  }

  private async connectRemote(): Promise<void> {
    if (this.stopped) return;
    const c = this.config;
    const addr = c.addresses[this.addressIndex]!;
    this.log.notice(`Connecting bridge ${c.name} (${addressText(addr)})`);
    if (!this.remote) {
      this.remote = new MqttClient(this.remoteConfig(addr), this.remoteHooks);
      this.remote.on('message', (p) => this.incoming(p));
      this.remote.on('debug', (line) => this.log.debug(line));
      this.remote.on('connection-lost', (err) => {
        this.log.notice(`Bridge ${c.name}: connection to ${this.addressText()} lost: ${err.message}`);
        this.disconnected();
      });
    } else {
      // another address: its transport may differ (TCP, TLS or WebSocket)
      const next = this.remoteConfig(addr);
      this.remote.config.endpoint = next.endpoint;
      this.remote.config.tls = next.tls;
      this.remote.config.will = next.will;
    }
    this.local.connecting();
    try {
      await this.remote.connect();
    } catch (err) {
      if (this.stopped) return;
      if (err instanceof ConnectError && err.kind === 'refused' && err.code === RC.QoSNotSupported && this.qosCap > 0) {
        // v5: our will's QoS (the state topic's) is above the remote's Maximum QoS [MQTT-3.2.2-12]:
        // Mosquitto's bridge lowers its own maximum by one and retries (handle__connack)
        this.qosCap--;
        this.log.error(`Bridge ${c.name}: Connection Refused: QoS not supported (will retry with QoS ${this.qosCap}).`);
        this.disconnected();
        return;
      }
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
    return addressText(this.config.addresses[this.addressIndex]!);
  }

  private async onRemoteConnected(): Promise<void> {
    const c = this.config;
    const remote = this.remote!;
    this.connectedAt = Date.now();
    this.log.notice(`Bridge ${c.name} connected to ${this.addressText()} as ${c.remoteClientId}.`);
    if (c.notifications) {
      if (!c.notificationsLocalOnly) void remote.publish(c.notificationTopic, Buffer.from('1'), { qos: this.notificationQos, retain: true }).catch(() => undefined);
      this.notifyLocal('1');
    }
    // what waits goes now, behind the SUBSCRIBEs already written (the remote client's `connected`
    // hook) and the in-flight messages the remote client resent itself, as Mosquitto sends them
    // on CONNACK without waiting for the SUBACKs; QoS 0 in its place among the QoS 1/2 resent
    this.local.online();
    this.sendEarly(Infinity);
    this.heldSince.clear();
    if (c.startType === 'lazy') this.watchIdle();
    try {
      await Promise.all(this.subscriptions);
    } catch {
      return; // the connection went away meanwhile: 'connection-lost' restarts
    }
    if (!c.roundRobin && this.addressIndex !== 0) this.watchPrimary();
  }

  private subscriptions: Array<Promise<unknown>> = [];

  /** Sends the QoS 0 messages that arrived before arrival number `before`. */
  private sendEarly(before: number): void {
    const remote = this.remote!;
    let n = 0;
    while (n < this.early.length && this.early[n]!.seq < before) {
      const m = this.early[n++]!;
      this.noteEcho(m.topic, m.payload);
      this.publishQos0(remote, m.topic, m.payload, m.out);
    }
    if (n > 0) this.early.splice(0, n);
  }

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
        // no higher than the remote's Maximum QoS [MQTT-3.2.2-11] (Mosquitto's bridge__on_connect)
        const qos = Math.min(t.qos, this.remoteMaximumQoS) as QoS;
        const sub = v5 ? { topic: t.remoteTopic, qos, nl: true, rap: true, rh: 0 as const } : { topic: t.remoteTopic, qos };
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
        this.log.notice(`Bridge ${this.config.name}: primary address ${addressText(primary)} is back.`);
        // the restart that follows moves to the next address: the last one wraps to the primary
        this.addressIndex = this.config.addresses.length - 1;
        this.remote?.destroy();
        this.disconnected();
      });
    }, PRIMARY_RETRY_MS);
    this.primaryTimer.unref();
  }

  private disconnected(): void {
    const lazy = this.config.startType === 'lazy';
    // local_cleansession: what the remote had not acknowledged is dropped, not resent (see offline)
    if (this.config.localCleanSession) this.remote?.failInflight(new Error('bridge disconnected (local_cleansession)'));
    clearInterval(this.lazyTimer);
    if (lazy && !this.stopped) {
      // Mosquitto queues every message for a lazy bridge that is down, QoS 0 included
      // (db__message_insert): they are what its threshold counts
      this.local.standby();
    } else {
      this.local.offline();
      this.early = [];
      this.heldSince.clear();
    }
    clearInterval(this.primaryTimer);
    if (this.config.notifications) this.notifyLocal('0');
    if (this.stopped) return;
    if (this.config.startType === 'once') {
      this.log.notice(`Bridge ${this.config.name} (start_type once) will not be restarted.`);
      return;
    }
    const stable = this.connectedAt > 0 && Date.now() - this.connectedAt >= STABLE_CONNECTION_MS;
    this.restartMs = stable ? this.config.restartTimeout * 1000 : nextRestartMs(this.config, this.restartMs);
    const failedAttempt = this.connectedAt === 0;
    this.connectedAt = 0;
    this.addressIndex = (this.addressIndex + 1) % this.config.addresses.length;
    clearTimeout(this.restartTimer);
    if (lazy) return this.waitForThreshold(failedAttempt ? this.restartMs : 0);
    this.restartTimer = setTimeout(() => void this.connectRemote(), this.restartMs);
    this.restartTimer.unref();
  }

  /** start_type lazy, remote down: started again once `threshold` messages wait for it. */
  private waitForThreshold(delayMs: number): void {
    this.standby = true;
    this.wakeNotBefore = Date.now() + delayMs;
    // the messages beyond the in-flight window are queued in the session without passing through
    // forward(): looked at every second too, as Mosquitto's bridge__check runs in its main loop
    this.lazyTimer = setInterval(() => this.wakeIfThreshold(), 1000);
    this.lazyTimer.unref();
    this.wakeIfThreshold();
  }

  private wakeIfThreshold(): void {
    if (!this.standby || this.stopped || Date.now() < this.wakeNotBefore) return;
    const waiting = this.local.waiting + this.early.length;
    if (waiting < this.config.threshold) return;
    this.standby = false;
    clearInterval(this.lazyTimer);
    this.log.notice(`Bridge ${this.config.name}: ${waiting} messages waiting (threshold ${this.config.threshold}), starting it (start_type lazy).`);
    void this.connectRemote();
  }

  /**
   * start_type lazy, connected: stopped once no message has gone either way for idle_timeout
   * seconds and the remote holds nothing unacknowledged (mosquitto.conf(5); Mosquitto 2.0 reads
   * the option but no longer acts on it: here an accepted option does what its page says).
   */
  private watchIdle(): void {
    const idleMs = this.config.idleTimeout * 1000;
    let seen = this.traffic;
    let quietSince = Date.now();
    clearInterval(this.lazyTimer);
    this.lazyTimer = setInterval(
      () => {
        const now = Date.now();
        if (this.traffic !== seen || this.withRemote.size > 0 || this.local.waiting > 0) {
          seen = this.traffic;
          quietSince = now;
          return;
        }
        if (now - quietSince >= idleMs) void this.stopIdle();
      },
      Math.max(100, Math.min(1000, idleMs / 4)),
    );
    this.lazyTimer.unref();
  }

  private async stopIdle(): Promise<void> {
    const c = this.config;
    const remote = this.remote;
    clearInterval(this.lazyTimer);
    if (!remote?.connected || this.stopped) return;
    this.log.notice(`Bridge ${c.name} has been idle for ${c.idleTimeout} s, disconnecting (start_type lazy).`);
    // a clean DISCONNECT does not publish the will: the remote's state topic is set here instead
    if (c.notifications && !c.notificationsLocalOnly) await remote.publish(c.notificationTopic, Buffer.from('0'), { qos: this.notificationQos, retain: true }).catch(() => undefined);
    if (this.stopped) return;
    await remote.disconnect().catch(() => undefined);
    if (this.stopped) return;
    // an idle stop is not a failure: the next start waits for the threshold only
    this.connectedAt = Date.now() - STABLE_CONNECTION_MS;
    this.disconnected();
  }

  private notifyLocal(state: '0' | '1'): void {
    this.broker.publish({ topic: this.config.notificationTopic, payload: Buffer.from(state), qos: 1, retain: true, senderId: this.config.localClientId });
  }

  /**
   * A delivery of the local session for the remote broker (LocalSideOwner). A QoS 1/2 one is
   * completed in the local session when the remote has it; until then it is in flight there.
   */
  forward(message: BrokerMessage, qos: QoS, retain: boolean, packetId: number, dup: boolean): void {
    // in flight before the remote connection dropped: the remote client sends it again itself
    if (dup && this.withRemote.has(packetId)) return;
    const remote = this.remote;
    if (!remote) return;
    const c = this.config;
    const topic = remapOut(c.topics, message.topic);
    let properties: Properties | undefined;
    if (c.protocolVersion === 5) {
      properties = message.properties;
      if (message.expiresAt !== undefined) properties = { ...properties, messageExpiryInterval: remainingExpirySeconds(message.expiresAt, Date.now()) };
    }
    const out = { qos, retain: c.outgoingRetain && retain, properties };
    if (c.maxPacketSize > 0 && publishSize(topic, message.payload, out, c.protocolVersion) > c.maxPacketSize) {
      this.log.notice(`Bridge ${c.name}: dropped a message on ${topic} larger than bridge_max_packet_size (${c.maxPacketSize}).`);
      if (packetId !== 0) this.local.completed(packetId);
      return;
    }
    this.lastFrameBytes = topic.length + message.payload.length + 4;
    if (!remote.connected) {
      // CONNACK not yet in: QoS 0 waits here, bounded like a queue; QoS 1/2 stays in flight in
      // the local session and goes with the resend that follows the CONNACK
      const max = this.broker.limits.maxQueuedMessages;
      const seq = ++this.arrivals;
      if (qos === 0) {
        if (max === 0 || this.early.length < max) this.early.push({ seq, topic, payload: message.payload, out });
      } else if (!this.heldSince.has(packetId)) this.heldSince.set(packetId, seq);
      if (this.standby) this.wakeIfThreshold();
      return;
    }
    this.traffic++;
    if (this.early.length > 0) {
      // resent after the CONNACK: the QoS 0 messages that came before it go first
      const seq = this.heldSince.get(packetId);
      if (seq !== undefined) this.sendEarly(seq);
    }
    this.noteEcho(topic, message.payload);
    const max = this.remoteMaximumQoS;
    if (qos > max) {
      // the remote takes no more than its Maximum QoS [MQTT-3.2.2-11]: sent at that QoS, as
      // Mosquitto's db__message_insert caps a bridge's messages; at 0 nothing will acknowledge it
      out.qos = max;
      if (max === 0) {
        this.publishQos0(remote, topic, message.payload, out);
        if (packetId !== 0) this.local.completed(packetId);
        return;
      }
    }
    if (qos === 0) return this.publishQos0(remote, topic, message.payload, out);
    // not open after all: still in flight in the local session, resent on the next connect
    if (remote.publishTagged(topic, message.payload, out as typeof out & { qos: 1 | 2 }, this.remoteAcks, packetId)) this.withRemote.add(packetId);
  }

  /** The remote's end of the QoS 1/2 messages forwarded to it, by local packet id. */
  private readonly remoteAcks: PublishListener = {
    published: (packetId) => {
      this.withRemote.delete(packetId);
      this.local.completed(packetId);
      if (this.withRemote.size === 0) this.drained?.();
    },
    failed: (packetId) => {
      // the connection had gone: still in flight in the local session, resent on the next connect
      this.withRemote.delete(packetId);
      if (this.withRemote.size === 0) this.drained?.();
    },
  };

  /** The remote's Maximum QoS (v5 CONNACK), within what it took before (qosCap). */
  private get remoteMaximumQoS(): QoS {
    return Math.min(this.remote?.serverMaximumQoS ?? 2, this.qosCap) as QoS;
  }

  /** The state topic's QoS (and its will's): 1 (Mosquitto's), 0 for a remote that takes no more. */
  private get notificationQos(): QoS {
    return this.remoteMaximumQoS === 0 ? 0 : 1;
  }

  /** QoS 0 goes out at once, as QoS 1/2 (publishTagged): in the order they came in */
  private publishQos0(remote: MqttClient, topic: string, payload: Buffer, out: { qos: QoS; retain: boolean; properties?: Properties }): void {
    remote.publish(topic, payload, out).catch(() => undefined);
  }

  /**
   * QoS 0 for the remote is dropped once about max_queued_messages of them wait for its socket
   * (Mosquitto queues QoS 0 for a connected client up to that limit too, and drops beyond it);
   * never below the 1 MB every subscriber is allowed; with max_queued_messages 0, never.
   */
  get congested(): boolean {
    const backlog = this.remote?.writeBacklog ?? 0;
    if (backlog < QOS0_BACKLOG_BYTES) return false;
    const max = this.broker.limits.maxQueuedMessages;
    return max > 0 && backlog >= max * this.lastFrameBytes;
  }

  /** Without no-local at the remote (3.1.1, no try_private): what comes back is expected, see EchoFilter. */
  private noteEcho(topic: string, payload: Buffer): void {
    if (this.config.protocolVersion !== 5 && !this.remoteHooks.bridgeMode) this.echoes.sent(topic, payload);
  }

  private echoFilter?: EchoFilter;
  private get echoes(): EchoFilter {
    return (this.echoFilter ??= new EchoFilter(this.config.topics.filter((t) => t.direction !== 'out').map((t) => t.remoteTopic)));
  }

  /** A remote message for this broker's subscribers. */
  private incoming(packet: IPublishPacket): void {
    const c = this.config;
    // our own message back from a remote without no-local: not delivered a second time here
    if (this.echoFilter?.isEcho(packet.topic, packet.payload as Buffer) === true) {
      if (this.log.debugOn) this.log.debug(`Bridge ${c.name}: dropped the echo of our own PUBLISH on ${packet.topic} (the remote has no no-local).`);
      return;
    }
    const topic = remapIn(c.topics, packet.topic);
    this.traffic++;
    if (this.log.debugOn) this.log.debug(`Received PUBLISH from ${c.remoteClientId} (q${packet.qos}, r${packet.retain ? 1 : 0}, '${topic}', ... (${packet.payload.length} bytes))`);
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
function publishSize(topic: string, payload: Buffer, m: { qos: QoS; retain: boolean; properties?: Properties }, version: 3 | 4 | 5): number {
  const packet = { cmd: 'publish' as const, topic, payload, qos: m.qos, retain: m.retain, dup: false, messageId: 1, properties: m.properties };
  return encodePublishBytes(packet, version).length;
}
