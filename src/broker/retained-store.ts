import type { BrokerMessage, RetainSource, SourceListener } from './message.js';

export type { RetainSource, SourceListener };

/** A retained message with its source. */
export interface RetainedEntry extends RetainSource {
  readonly message: BrokerMessage;
}

/** Told of every change, to keep a copy on disk (persistence); not told of restore(). */
export interface RetainedJournal {
  put(entry: RetainedEntry): void;
  delete(topic: string): void;
}

/**
 * One topic level of the retained tree; children keep the order their level was first used. The
 * source is two fields here rather than an object per message: nothing allocated per retained
 * PUBLISH, and a client's listener object is shared by all its messages.
 */
class RetainNode {
  children: Map<string, RetainNode> | undefined = undefined;
  message: BrokerMessage | undefined = undefined;
  username: string | undefined = undefined;
  listener: SourceListener | null | undefined = undefined;
}

/**
 * Retained messages by topic; an empty payload deletes [MQTT-3.3.1-10]. Kept as a tree of topic
 * levels, as Mosquitto keeps them: a wildcard subscription walks only the branches its filter can
 * reach, and gets the messages in Mosquitto's order (a level before the levels below it, siblings in
 * the order they were first used; MQTT sets no order, clients and Mosquitto's tests see this one).
 * Levels left without a message or children are removed at once.
 */
export class RetainedStore {
  private readonly root = new RetainNode();
  private count = 0;
  private bytes = 0;
  /** set when persistence is on */
  journal: RetainedJournal | undefined;

  get size(): number {
    return this.count;
  }

  /** payload bytes of the retained messages, for $SYS store/messages/bytes */
  get payloadBytes(): number {
    return this.bytes;
  }

  /** A message to retain (an empty payload deletes), from `username` on `listener` (see RetainSource). */
  set(message: BrokerMessage, username?: string, listener?: SourceListener | null): void {
    const node = this.store(message, username, listener);
    if (this.journal) {
      if (node === undefined) this.journal.delete(message.topic);
      else this.journal.put(node as RetainedEntry);
    }
  }

  /** A message read back from the persistence store at start-up. */
  restore(message: BrokerMessage, username?: string, listener?: SourceListener | null): void {
    this.store(message, username, listener);
  }

  private store(message: BrokerMessage, username: string | undefined, listener: SourceListener | null | undefined): RetainNode | undefined {
    const levels = message.topic.split('/');
    if (message.payload.length === 0) {
      this.remove(levels);
      return undefined;
    }
    let node = this.root;
    for (const level of levels) {
      const children = (node.children ??= new Map());
      let next = children.get(level);
      if (!next) children.set(level, (next = new RetainNode()));
      node = next;
    }
    if (!node.message) this.count++;
    this.bytes += message.payload.length - (node.message?.payload.length ?? 0);
    node.message = message;
    node.username = username;
    node.listener = listener;
    return node;
  }

  /** Retained messages whose topic matches the filter, expired ones removed on the way. */
  *matching(filter: string, now: number): Iterable<BrokerMessage> {
    for (const entry of this.entries(filter, now)) yield entry.message;
  }

  /** As matching(), each message with its source. */
  *entries(filter: string, now: number): Iterable<RetainedEntry> {
    const expired: BrokerMessage[] = [];
    yield* this.walk(this.root, filter.split('/'), 0, now, expired);
    for (const m of expired) {
      if (this.remove(m.topic.split('/'), m)) this.journal?.delete(m.topic);
    }
  }

  /**
   * Pre-order walk of the levels `filter[i..]` can reach from `node`. [MQTT-4.7.2-1] at the first
   * level '+' and '#' do not reach topics that start with '$'.
   */
  private *walk(node: RetainNode, filter: string[], i: number, now: number, expired: BrokerMessage[]): Generator<RetainedEntry> {
    if (i === filter.length) {
      const m = this.live(node, now, expired);
      if (m) yield m;
      return;
    }
    const level = filter[i]!;
    if (level === '#') {
      // "a/#" matches "a" too (the parent level); at the root there is none
      if (i > 0) {
        const m = this.live(node, now, expired);
        if (m) yield m;
      }
      yield* this.everything(node, i === 0, now, expired);
      return;
    }
    if (!node.children) return;
    if (level === '+') {
      for (const [name, child] of node.children) {
        if (i === 0 && name.startsWith('$')) continue;
        yield* this.walk(child, filter, i + 1, now, expired);
      }
      return;
    }
    const child = node.children.get(level);
    if (child) yield* this.walk(child, filter, i + 1, now, expired);
  }

  /** Every message below `node`, each level before its children. */
  private *everything(node: RetainNode, atRoot: boolean, now: number, expired: BrokerMessage[]): Generator<RetainedEntry> {
    if (!node.children) return;
    for (const [name, child] of node.children) {
      if (atRoot && name.startsWith('$')) continue;
      const m = this.live(child, now, expired);
      if (m) yield m;
      yield* this.everything(child, false, now, expired);
    }
  }

  /** The node, when it holds a message that has not expired (one that has is noted for removal once the walk is over). */
  private live(node: RetainNode, now: number, expired: BrokerMessage[]): RetainedEntry | undefined {
    const m = node.message;
    if (m === undefined) return undefined;
    if (m.expiresAt !== undefined && m.expiresAt <= now) {
      expired.push(m);
      return undefined;
    }
    return node as RetainedEntry;
  }

  /** Removes the message at `levels` (only if it is still `only`, when given). */
  private remove(levels: string[], only?: BrokerMessage): boolean {
    const path: RetainNode[] = [this.root];
    for (const level of levels) {
      const next = path[path.length - 1]!.children?.get(level);
      if (!next) return false;
      path.push(next);
    }
    const node = path[path.length - 1]!;
    if (!node.message || (only && node.message !== only)) return false;
    this.bytes -= node.message.payload.length;
    node.message = undefined;
    node.username = undefined;
    node.listener = undefined;
    this.count--;
    // prune the levels this message alone kept
    for (let i = levels.length; i > 0; i--) {
      const n = path[i]!;
      if (n.message || (n.children && n.children.size > 0)) break;
      path[i - 1]!.children!.delete(levels[i - 1]!);
    }
    return true;
  }
}
