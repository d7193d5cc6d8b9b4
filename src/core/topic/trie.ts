/**
 * A subscription trie: one node per filter level, with '+' and '#' kept apart from literal
 * children so a lookup walks only the branches a topic can reach (cost grows with the topic's depth
 * and the wildcards on its path, not with the number of subscriptions). Same semantics as
 * `topicMatchesFilter`, including the '$' rule.
 */

class TrieNode<V> {
  readonly children = new Map<string, TrieNode<V>>();
  plus: TrieNode<V> | undefined;
  hash: TrieNode<V> | undefined;
  /** values subscribed with the filter that ends at this node */
  readonly values = new Set<V>();

  isEmpty(): boolean {
    return this.values.size === 0 && this.children.size === 0 && !this.plus && !this.hash;
  }
}

export class SubscriptionTrie<V> {
  private readonly root = new TrieNode<V>();
  private count = 0;

  /** Number of (filter, value) pairs stored. */
  get size(): number {
    return this.count;
  }

  /** Stores `value` under `filter`; false if that pair was already there. */
  add(filter: string, value: V): boolean {
    let node = this.root;
    for (const level of filter.split('/')) {
      node = this.childFor(node, level);
    }
    if (node.values.has(value)) return false;
    node.values.add(value);
    this.count++;
    return true;
  }

  /** Removes the pair and prunes nodes left empty; false if it was not there. */
  remove(filter: string, value: V): boolean {
    const levels = filter.split('/');
    const path: TrieNode<V>[] = [this.root];
    for (const level of levels) {
      const next = this.existingChild(path[path.length - 1], level);
      if (!next) return false;
      path.push(next);
    }
    if (!path[path.length - 1].values.delete(value)) return false;
    this.count--;
    for (let i = levels.length; i > 0 && path[i].isEmpty(); i--) {
      this.detach(path[i - 1], levels[i - 1]);
    }
    return true;
  }

  /** Whether exactly this (filter, value) pair is stored. */
  has(filter: string, value: V): boolean {
    let node: TrieNode<V> | undefined = this.root;
    for (const level of filter.split('/')) {
      node = this.existingChild(node, level);
      if (!node) return false;
    }
    return node.values.has(value);
  }

  /**
   * Values whose filter matches `topic`, one entry per matching (filter, value) pair: a value
   * stored under two overlapping filters comes twice (MQTT lets the broker deliver per
   * subscription or once; that choice belongs to the caller).
   */
  match(topic: string): V[] {
    const levels = topic.split('/');
    const out: V[] = [];
    // [MQTT-4.7.2-1] at the first level a '$' topic skips the root's '+' and '#' branches
    const dollar = topic.charCodeAt(0) === 0x24;
    const stack: TrieNode<V>[] = [this.root];
    const depth: number[] = [0];
    while (stack.length > 0) {
      const node = stack.pop()!;
      const i = depth.pop()!;
      const wildcardsAllowed = i > 0 || !dollar;
      // '#' matches the rest of the topic, and also the parent level itself ("a/#" matches "a")
      if (node.hash && wildcardsAllowed) for (const v of node.hash.values) out.push(v);
      if (i === levels.length) {
        for (const v of node.values) out.push(v);
        continue;
      }
      const literal = node.children.get(levels[i]);
      if (literal) {
        stack.push(literal);
        depth.push(i + 1);
      }
      if (node.plus && wildcardsAllowed) {
        stack.push(node.plus);
        depth.push(i + 1);
      }
    }
    return out;
  }

  clear(): void {
    this.root.children.clear();
    this.root.plus = undefined;
    this.root.hash = undefined;
    this.root.values.clear();
    this.count = 0;
  }

  private existingChild(node: TrieNode<V>, level: string): TrieNode<V> | undefined {
    if (level === '+') return node.plus;
    if (level === '#') return node.hash;
    return node.children.get(level);
  }

  private childFor(node: TrieNode<V>, level: string): TrieNode<V> {
    const existing = this.existingChild(node, level);
    if (existing) return existing;
    const created = new TrieNode<V>();
    if (level === '+') node.plus = created;
    else if (level === '#') node.hash = created;
    else node.children.set(level, created);
    return created;
  }

  private detach(parent: TrieNode<V>, level: string): void {
    if (level === '+') parent.plus = undefined;
    else if (level === '#') parent.hash = undefined;
    else parent.children.delete(level);
  }
}
