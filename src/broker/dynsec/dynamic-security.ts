import { pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { writeFileAtomic } from '../../auth/atomic-write.js';
import { checkAcl, type AclAccess, type Verdict } from './acl-check.js';
import { runControl } from './control.js';
import { readSecretFile } from '../auth/secret-file.js';
import { parseDynsecFile, serializeDynsec } from './dynsec-file.js';
import type { DynsecPassword, DynsecState } from './model.js';

/** Mosquitto 2.0's choices for new passwords; its plugin reads no other salt length. */
export const DYNSEC_SALT_BYTES = 12;
export const DYNSEC_ITERATIONS = 101;

export interface DynsecHost {
  /** disconnects (v5: DISCONNECT 0x98, no will) every client with this username, or without one for null */
  kick(username: string | null): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
}

/** A client as the plugin sees it at a check. */
export interface DynsecClient {
  clientId: string;
  username: string | undefined;
}

/** PBKDF2-SHA512 over the password's bytes up to a NUL (the plugin hashes a C string). */
function passwordBytes(password: string | Buffer): Buffer {
  const b = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  const nul = b.indexOf(0);
  return nul === -1 ? b : b.subarray(0, nul);
}

export function hashDynsecPassword(password: string, salt = randomBytes(DYNSEC_SALT_BYTES), iterations = DYNSEC_ITERATIONS): DynsecPassword {
  // 101 rounds take well under a millisecond: done in place, so a command batch stays in order
  return { hash: pbkdf2Sync(passwordBytes(password), salt, iterations, 64, 'sha512'), salt, iterations };
}

/**
 * Mosquitto's dynamic security plugin served natively: its JSON file, its control topic, its
 * authentication and ACL checks. Every change is written back to the file atomically (a reader
 * sees the old or the new file, never a mix), in order, after the batch of commands that made it.
 */
export class DynamicSecurity {
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  private constructor(
    readonly file: string,
    readonly state: DynsecState,
    private readonly host: DynsecHost,
  ) {}

  /**
   * Reads the file; a ConfigFileError naming the file when it is missing, unreadable, writable by
   * other users (it decides who may connect) or not usable. Readable by others: Mosquitto 2.1's
   * warning.
   */
  static async load(file: string, host: DynsecHost): Promise<DynamicSecurity> {
    const { data, warnings } = await readSecretFile(file, (e) => {
      const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message;
      return `Error: Unable to open dynamic security file "${file}": ${why} (create one with: mqtt ctrl dynsec init ${file} admin).`;
    });
    warnings.forEach((w) => host.warning(w));
    const state = parseDynsecFile(data, file, (w) => host.warning(w));
    return new DynamicSecurity(file, state, host);
  }

  /**
   * The plugin's basic-auth check: defer (someone else decides) without username or password, for
   * an unknown user or one without a password; deny a disabled client, a client id other than the
   * one set, or a wrong password.
   */
  authenticate(client: DynsecClient, password: Buffer | undefined): Verdict | Promise<Verdict> {
    const { username } = client;
    if (username === undefined || password === undefined) return 'defer';
    const known = this.state.clients.get(username);
    if (!known) return 'defer';
    if (known.disabled) return 'deny';
    if (known.clientId !== undefined && known.clientId !== client.clientId) return 'deny';
    const pw = known.password;
    if (!pw) return 'defer';
    return new Promise((resolve) => {
      // off the event loop: iterations come from the file and may be large
      pbkdf2(passwordBytes(password), pw.salt, pw.iterations, 64, 'sha512', (err, key) => {
        resolve(!err && timingSafeEqual(key, pw.hash) ? 'allow' : 'deny');
      });
    });
  }

  checkAcl(username: string | undefined, access: AclAccess, topic: string): Verdict {
    return checkAcl(this.state, username, access, topic);
  }

  /**
   * Runs a $CONTROL/dynamic-security/v1 payload at once (state and kicks), and resolves with the
   * response payload once the changes are on disk, as the plugin answers after writing its file.
   */
  async control(admin: DynsecClient, payload: Buffer): Promise<string> {
    const response = this.runControl(admin, payload);
    await this.flush();
    return response;
  }

  private runControl(admin: DynsecClient, payload: Buffer): string {
    return runControl(
      {
        state: this.state,
        admin,
        save: () => this.save(),
        kick: (username) => this.host.kick(username),
        log: (line) => this.host.info(line),
        hashPassword: (password) => hashDynsecPassword(password),
      },
      payload,
    );
  }

  /** Schedules a write of the current state; writes never overlap and the last one wins. */
  save(): void {
    if (this.dirty) return;
    this.dirty = true;
    this.writing = this.writing.then(async () => {
      // taken when the write starts, so every change made before it is in
      this.dirty = false;
      const text = serializeDynsec(this.state);
      try {
        await writeFileAtomic(this.file, Buffer.from(text, 'utf8'));
      } catch (err) {
        this.host.error(`Error saving Dynamic security plugin config "${this.file}": ${(err as Error).message}`);
      }
    });
  }

  /** Resolves once every change so far is on disk. */
  async flush(): Promise<void> {
    await this.writing;
  }
}
