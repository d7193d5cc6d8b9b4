import { RC } from '../protocol/reason-codes.js';

/**
 * MQTT 5 topic aliases, one map per direction and per network connection: mappings never carry
 * over to another connection [MQTT-3.3.2-7], so a new connection makes new maps (or calls clear).
 */

/** Why an inbound alias could not be resolved; the caller closes with this reason code. */
export const AliasError = {
  /** alias 0, or above the maximum we announced: Topic Alias invalid [MQTT-3.3.2-8] [MQTT-3.3.2-10] [MQTT-3.3.2-12] */
  Invalid: RC.TopicAliasInvalid,
  /** an empty topic with an alias never mapped on this connection: Protocol Error */
  Unknown: RC.ProtocolError,
} as const;
export type AliasError = (typeof AliasError)[keyof typeof AliasError];

/**
 * Aliases the peer sets for us. `maximum` is the Topic Alias Maximum we announced (CONNACK for a
 * server, CONNECT for a client); every alias from 1 to it is accepted [MQTT-3.3.2-10] [MQTT-3.3.2-12].
 */
export class InboundTopicAliases {
  private map?: Map<number, string>;

  constructor(public maximum: number) {}

  /**
   * The topic of a PUBLISH carrying `alias`: a non-empty `topic` (re)maps the alias and is the
   * topic; an empty one uses the mapping. A number result is the reason code to close with.
   */
  resolve(alias: number, topic: string): string | AliasError {
    if (alias === 0 || alias > this.maximum) return AliasError.Invalid;
    if (topic !== '') {
      (this.map ??= new Map()).set(alias, topic);
      return topic;
    }
    return this.map?.get(alias) ?? AliasError.Unknown;
  }

  /** The topic mapped to `alias`, without checks (sniff's reading of someone else's traffic). */
  peek(alias: number): string | undefined {
    return this.map?.get(alias);
  }

  /** Maps without checks (sniff: the maximum the peers agreed on may not have been seen). */
  set(alias: number, topic: string): void {
    (this.map ??= new Map()).set(alias, topic);
  }

  clear(): void {
    this.map = undefined;
  }
}

/**
 * Aliases we set for the peer, below the peer's Topic Alias Maximum (`maximum`, 0 = none allowed)
 * [MQTT-3.3.2-9] [MQTT-3.3.2-11]; 0 is never sent [MQTT-3.3.2-8].
 */
export class OutboundTopicAliases {
  private byAlias?: Map<number, string>;
  private byTopic?: Map<string, number>;

  constructor(public maximum: number) {}

  /**
   * The caller chose `alias` for `topic` (`-D publish topic-alias N`). Returns the topic to put in
   * the PUBLISH: '' when the peer already has that mapping (the alias alone names it), `topic`
   * when it (re)maps the alias, or undefined when the alias may not be sent at all (0 or above
   * the peer's maximum): then the PUBLISH goes without it.
   */
  use(alias: number, topic: string): string | undefined {
    if (alias < 1 || alias > this.maximum) return undefined;
    const byAlias = (this.byAlias ??= new Map());
    const old = byAlias.get(alias);
    if (old === topic) return '';
    if (old !== undefined) this.byTopic?.delete(old);
    byAlias.set(alias, topic);
    (this.byTopic ??= new Map()).set(topic, alias);
    return topic;
  }

  /**
   * An alias we choose for `topic`: the one it has, else the lowest free one while any is left,
   * else 0 (send the topic without an alias). Call `isMapped` first to know whether the PUBLISH
   * may leave its topic empty (the peer has the mapping) or must carry it (a new mapping).
   */
  assign(topic: string): number {
    const known = this.byTopic?.get(topic);
    if (known !== undefined) return known;
    const byAlias = (this.byAlias ??= new Map());
    if (byAlias.size >= this.maximum) return 0;
    let alias = 1;
    while (byAlias.has(alias)) alias++;
    byAlias.set(alias, topic);
    (this.byTopic ??= new Map()).set(topic, alias);
    return alias;
  }

  /** Whether the peer already knows `topic` by an alias (a PUBLISH may then leave the topic empty). */
  isMapped(topic: string): boolean {
    return this.byTopic?.has(topic) ?? false;
  }

  clear(): void {
    this.byAlias = undefined;
    this.byTopic = undefined;
  }
}
