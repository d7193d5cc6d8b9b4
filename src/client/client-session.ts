import type { IPublishPacket, ISubackPacket, IUnsubackPacket } from 'mqtt-packet';
import type { Properties } from '../core/protocol/types.js';
import { IncomingQos2 } from '../core/session/incoming-qos2.js';
import { OutgoingFlow, type OutgoingItem } from '../core/session/outgoing-flow.js';
import { PacketIdAllocator } from '../core/session/packet-ids.js';
import { InboundTopicAliases, OutboundTopicAliases } from '../core/session/topic-aliases.js';

export interface PublishResult {
  /** v5 PUBACK/PUBREC reason code (0 for QoS 0 and 3.1.1) */
  reasonCode: number;
  properties?: Properties;
}

/** A QoS 1/2 publish of ours: the packet, and the promise publish() returned. */
export interface OutgoingPublish extends OutgoingItem {
  packet: IPublishPacket;
  /** PUBREC's reason code and properties, reported when PUBCOMP completes the flow */
  result?: PublishResult;
  resolve: (r: PublishResult) => void;
  reject: (e: Error) => void;
}

/** Told when a tagged QoS 1/2 publish ends (MqttClient.publishTagged): one object for many messages. */
export interface PublishListener {
  published(tag: number, r: PublishResult): void;
  failed(tag: number, err: Error): void;
}

/** A QoS 1/2 publish whose end goes to a listener: no promise and no closure per message. */
export class TaggedPublish implements OutgoingPublish {
  result?: PublishResult;
  constructor(
    readonly qos: 1 | 2,
    readonly packet: IPublishPacket,
    private readonly listener: PublishListener,
    private readonly tag: number,
  ) {}
  resolve(r: PublishResult): void {
    this.listener.published(this.tag, r);
  }
  reject(e: Error): void {
    this.listener.failed(this.tag, e);
  }
}

export interface PendingAck<T> {
  resolve: (p: T) => void;
  reject: (e: Error) => void;
}

/**
 * What the client keeps for its session, on the core session engine: one packet-id pool for
 * PUBLISH, SUBSCRIBE and UNSUBSCRIBE [MQTT-2.2.1-3], the outgoing QoS 1/2 window and the queue
 * behind it, incoming QoS 2 ids until PUBREL (holding each message until then, as libmosquitto
 * delivers at PUBREL), topic aliases both ways (per connection), and SUBACK/UNSUBACK waiters.
 */
export class ClientSession {
  readonly ids = new PacketIdAllocator();
  readonly outgoing: OutgoingFlow<OutgoingPublish>;
  readonly incomingQos2 = new IncomingQos2<IPublishPacket>();
  /**
   * Like libmosquitto the client takes any alias the server sets (from 1 to 65535), whatever
   * Topic Alias Maximum it announced; alias 0 is never valid [MQTT-3.3.2-8].
   */
  readonly aliasesIn = new InboundTopicAliases(65535);
  /** bounded by the server's Topic Alias Maximum from CONNACK [MQTT-3.3.2-9] */
  readonly aliasesOut = new OutboundTopicAliases(0);
  readonly subacks = new Map<number, PendingAck<ISubackPacket>>();
  readonly unsubacks = new Map<number, PendingAck<IUnsubackPacket>>();

  constructor(maxInflight: number) {
    this.outgoing = new OutgoingFlow<OutgoingPublish>({ maxInflight, maxInflightBytes: 0, maxQueued: 0, maxQueuedBytes: 0 }, this.ids);
  }

  /** A new network connection: topic aliases never carry over [MQTT-3.3.2-7]. */
  newConnection(): void {
    this.aliasesIn.clear();
    this.aliasesOut.clear();
    this.aliasesOut.maximum = 0;
    this.outgoing.setReceiveMaximum(65535);
  }
}
