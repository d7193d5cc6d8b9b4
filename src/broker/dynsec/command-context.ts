import type { CJson } from '../../output/cjson.js';
import { stringField, type Out } from './json.js';
import type { DynsecPassword, DynsecState } from './model.js';

/** What a control command may touch while it runs. */
export interface CommandContext {
  state: DynsecState;
  /** the client that sent the command, for the log lines */
  admin: { clientId: string; username: string | undefined };
  /** writes the file (atomically, after the current command batch) */
  save(): void;
  /** disconnects every client with this username, or every client without one for null */
  kick(username: string | null): void;
  /** one "dynsec: ..." information line */
  log(line: string): void;
  hashPassword(password: string): DynsecPassword;
  responses: Out[];
}

export type CommandHandler = (ctx: CommandContext, command: CJson, correlationData: string | undefined) => void;

/** dynsec__command_reply: {command, error?, correlationData?}. */
export function reply(ctx: CommandContext, command: string, error: string | undefined, correlationData: string | undefined): void {
  const out: { [key: string]: Out } = { command };
  if (error !== undefined) out.error = error;
  if (correlationData !== undefined) out.correlationData = correlationData;
  ctx.responses.push(out);
}

/** A response carrying data: {command, data, correlationData?}. */
export function replyData(ctx: CommandContext, command: string, data: Out, correlationData: string | undefined): void {
  const out: { [key: string]: Out } = { command, data };
  if (correlationData !== undefined) out.correlationData = correlationData;
  ctx.responses.push(out);
}

export function logLine(ctx: CommandContext, command: string, detail: string): void {
  ctx.log(`dynsec: ${ctx.admin.clientId}/${ctx.admin.username ?? '(null)'} | ${command}${detail ? ` | ${detail}` : ''}`);
}

/**
 * A required name field (username, groupname, rolename) with the plugin's two errors:
 * "Invalid/missing NAME" and "WHAT not valid UTF-8". undefined after replying with the error.
 */
export function requiredName(
  ctx: CommandContext,
  command: CJson,
  commandName: string,
  field: string,
  what: string,
  correlationData: string | undefined,
  checkUtf8 = true,
): string | undefined {
  const f = stringField(command, field, false);
  if (!f.ok || f.value === undefined) {
    reply(ctx, commandName, `Invalid/missing ${field}`, correlationData);
    return undefined;
  }
  if (checkUtf8 && !f.utf8) {
    reply(ctx, commandName, `${what} not valid UTF-8`, correlationData);
    return undefined;
  }
  return f.value;
}
