import { createAclChecker, type AclChecker, type AclCheckerOptions, type ClientAcl } from './acl-checker.js';
import { loadAclFile } from './acl-file.js';

/**
 * An acl_file as the broker uses it, reloadable for SIGHUP. A reload swaps the rules in at once;
 * ClientAcl objects made before it keep the old rules, so after a reload make them again for
 * connected clients (Mosquitto re-applies ACLs to every client on reload too).
 */
export class AclStore implements AclChecker {
  private constructor(
    readonly file: string,
    private readonly options: AclCheckerOptions,
    private checker: AclChecker,
  ) {}

  /** Reads the file; ConfigFileError with Mosquitto's words and the line when it is wrong. */
  static async load(file: string, options: AclCheckerOptions = {}): Promise<{ store: AclStore; warnings: string[] }> {
    const { acl, warnings } = await loadAclFile(file);
    return { store: new AclStore(file, options, createAclChecker(acl, options)), warnings };
  }

  /** If the file is unreadable or wrong the rules stay as they were and the error is thrown. */
  async reload(): Promise<string[]> {
    const { acl, warnings } = await loadAclFile(this.file);
    this.checker = createAclChecker(acl, this.options);
    return warnings;
  }

  forClient(clientId: string, username: string | undefined): ClientAcl {
    return this.checker.forClient(clientId, username);
  }

  canRead(clientId: string, username: string | undefined, topic: string): boolean {
    return this.checker.canRead(clientId, username, topic);
  }

  canWrite(clientId: string, username: string | undefined, topic: string): boolean {
    return this.checker.canWrite(clientId, username, topic);
  }

  canSubscribe(clientId: string, username: string | undefined, filter: string): boolean {
    return this.checker.canSubscribe(clientId, username, filter);
  }
}
