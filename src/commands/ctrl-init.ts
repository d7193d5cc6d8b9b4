import { access } from 'node:fs/promises';
import { writeFileAtomic } from '../auth/atomic-write.js';
import { passwordReader, type PasswordReader } from '../auth/password-prompt.js';
import { hashDynsecPassword } from '../broker/dynsec/dynamic-security.js';
import { printPretty, type Out } from '../broker/dynsec/json.js';

/** The admin role mosquitto_ctrl's init writes: the $CONTROL API, $SYS and reading everything. */
const ADMIN_ACLS: Array<[string, string]> = [
  ['publishClientSend', '$CONTROL/dynamic-security/#'],
  ['publishClientReceive', '$CONTROL/dynamic-security/#'],
  ['subscribePattern', '$CONTROL/dynamic-security/#'],
  ['publishClientReceive', '$SYS/#'],
  ['subscribePattern', '$SYS/#'],
  ['publishClientReceive', '#'],
  ['subscribePattern', '#'],
  ['unsubscribePattern', '#'],
];

/** The file `mosquitto_ctrl dynsec init` writes, byte for byte but for the random salt. */
export function initFileText(admin: string, password: string): string {
  const pw = hashDynsecPassword(password);
  const tree: Out = {
    clients: [
      {
        username: admin,
        textName: 'Dynsec admin user',
        password: pw.hash.toString('base64'),
        salt: pw.salt.toString('base64'),
        iterations: pw.iterations,
        roles: [{ rolename: 'admin' }],
      },
    ],
    roles: [{ rolename: 'admin', acls: ADMIN_ACLS.map(([acltype, topic]) => ({ acltype, topic, allow: true })) }],
    defaultACLAccess: { publishClientSend: false, publishClientReceive: true, subscribe: false, unsubscribe: true },
  };
  return printPretty(tree);
}

/**
 * One reader of stdin for every question of a run: answers piped in on one line each must not be
 * lost to a reader that buffered them and went away. Prompts go to stdout, as mosquitto_ctrl's.
 */
export class Prompter {
  private reader?: PasswordReader;

  read(prompt: string): Promise<Buffer | null> {
    this.reader ??= passwordReader(process.stdin, process.stdout);
    return this.reader.read(prompt);
  }

  close(): void {
    this.reader?.close();
  }
}

/** Asks twice, as mosquitto_ctrl's get_password does. */
export async function askNewPassword(reader: Prompter, prompt: string, verify: string): Promise<{ password?: string; error?: string }> {
  const first = await reader.read(prompt);
  if (first === null || first.length === 0) return { error: 'Error: Empty password.' };
  const second = await reader.read(verify);
  if (second === null || second.length === 0) return { error: 'Error: Empty password.' };
  if (!first.equals(second)) return { error: 'Error: Passwords do not match.' };
  return { password: first.toString('utf8') };
}

/**
 * `dynsec init FILE ADMIN [PASSWORD]`: a new file with one admin client. Never overwrites; the
 * file is written atomically with mode 0600 (it holds a password hash). Exits 1 where
 * mosquitto_ctrl prints the same error and exits 0.
 */
export async function writeDynsecInit(plan: { file: string; admin: string; password?: string }, reader: Prompter): Promise<number> {
  let password = plan.password;
  if (password === undefined) {
    const asked = await askNewPassword(reader, `New password for ${plan.admin}: `, `Reenter password for ${plan.admin}: `);
    if (asked.error) {
      process.stderr.write(`${asked.error}\n`);
      return 1;
    }
    password = asked.password!;
  }
  const exists = await access(plan.file).then(
    () => true,
    () => false,
  );
  if (exists) {
    process.stderr.write(`dynsec init: '${plan.file}' already exists. Remove the file or use a different location..\n`);
    return 1;
  }
  try {
    await writeFileAtomic(plan.file, Buffer.from(initFileText(plan.admin, password), 'utf8'));
  } catch {
    process.stderr.write(`dynsec init: Unable to open '${plan.file}' for writing.\n`);
    return 1;
  }
  process.stdout.write(
    [
      `The client '${plan.admin}' has been created in the file '${plan.file}'.`,
      'This client is configured to allow you to administer the dynamic security plugin only.',
      'It does not have access to publish messages to normal topics.',
      'You should create your application clients to do that, for example:',
      '   mqtt ctrl <connect options> dynsec createClient <username>',
      '   mqtt ctrl <connect options> dynsec createRole <rolename>',
      '   mqtt ctrl <connect options> dynsec addRoleACL <rolename> publishClientSend my/topic [priority]',
      '   mqtt ctrl <connect options> dynsec addClientRole <username> <rolename> [priority]',
      'See https://mosquitto.org/documentation/dynamic-security/ for details of all commands.',
      '',
    ].join('\n'),
  );
  return 0;
}
