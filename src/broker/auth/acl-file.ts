import { validateTopicFilter } from '../../core/topic/validate.js';
import { ConfigFileError, describeLocation } from '../config/config-error.js';
import { decodeConfigText } from '../config/config-file.js';
import { readSecretFile } from './secret-file.js';
import { configLines, type ConfigLine } from '../config/config-lines.js';


export type AclAccess = 'read' | 'write' | 'readwrite' | 'deny';

export interface AclRule {
  access: AclAccess;
  /** a topic filter; in patterns %c and %u stand for the client id and username */
  topic: string;
  line: number;
}

/**
 * Mosquitto's acl_file, as rules per section. Order within a section does not change any
 * decision (a matching deny always wins, see acl-checker.ts), so rules stay in file order.
 */
export interface AclFile {
  /** `topic` lines before the first `user` line: they apply to clients without a username */
  anonymous: AclRule[];
  /** `topic` lines after `user NAME`; a user with no section gets nothing from topic lines */
  users: Map<string, AclRule[]>;
  /** `pattern` lines, wherever they are: they apply to every client */
  patterns: AclRule[];
}

export interface ParsedAcl {
  acl: AclFile;
  warnings: string[];
}

const ACCESS_WORDS: readonly AclAccess[] = ['read', 'write', 'readwrite', 'deny'];

/**
 * Parses an acl_file as Mosquitto 2.0 does (src/security_default.c aclfile__parse), with its
 * error texts. More lenient only where Mosquitto errs on layout: comments and lines may be
 * indented, and tabs separate words like spaces.
 */
export function parseAclFile(text: string, fileName: string): ParsedAcl {
  const acl: AclFile = { anonymous: [], users: new Map(), patterns: [] };
  const warnings: string[] = [];
  let section = acl.anonymous;
  const inFile = `in acl_file "${fileName}"`;
  const fail = (line: ConfigLine, reason: string): never => {
    throw new ConfigFileError(`Error: ${reason}`, line.loc);
  };
  for (const line of configLines(text, fileName)) {
    const where = describeLocation(line.loc);
    if (line.keyword === 'user') {
      if (line.rest === '') fail(line, `Missing username ${inFile}.`);
      // the rest of the line, spaces and all, is the username
      const rules = acl.users.get(line.rest) ?? [];
      acl.users.set(line.rest, rules);
      section = rules;
    } else if (line.keyword === 'topic' || line.keyword === 'pattern') {
      const first = line.args[0];
      if (first === undefined) fail(line, `Empty topic ${inFile}.`);
      const afterFirst = line.rest.slice(first.length).trim();
      // "topic foo" grants readwrite on foo; "topic read" therefore means a topic named "read"
      const [accessWord, topic] = afterFirst === '' ? [undefined, first] : [first, afterFirst];
      if (accessWord !== undefined && !(ACCESS_WORDS as readonly string[]).includes(accessWord)) {
        fail(line, `Invalid topic access type "${accessWord}" ${inFile}.`);
      }
      if (validateTopicFilter(topic) !== null) fail(line, `Invalid ACL topic "${topic}" ${inFile}.`);
      if (accessWord === undefined && (ACCESS_WORDS as readonly string[]).includes(topic)) {
        warnings.push(`Warning: ACL ${line.keyword} "${topic}" at ${where} has no access type, so it grants readwrite on a topic named "${topic}".`);
      }
      const rule: AclRule = { access: (accessWord as AclAccess | undefined) ?? 'readwrite', topic, line: line.loc.line };
      if (line.keyword === 'topic') {
        section.push(rule);
      } else {
        if (!topic.includes('%c') && !topic.includes('%u')) {
          warnings.push(`Warning: ACL pattern '${topic}' at ${where} does not contain '%c' or '%u'.`);
        }
        acl.patterns.push(rule);
      }
    } else {
      fail(line, `Invalid line ${inFile}: ${line.keyword}.`);
    }
  }
  return { acl, warnings };
}

/**
 * parseAclFile on a file; Mosquitto's "Error: Unable to open acl_file" when it cannot be read,
 * and an error too when other users may write it (see secret-file.ts).
 */
export async function loadAclFile(file: string): Promise<ParsedAcl> {
  const { data, warnings } = await readSecretFile(file, () => `Error: Unable to open acl_file "${file}".`);
  const parsed = parseAclFile(decodeConfigText(data, file), file);
  return { acl: parsed.acl, warnings: [...warnings, ...parsed.warnings] };
}
