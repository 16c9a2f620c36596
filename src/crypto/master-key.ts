import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { dataMessages } from '../operations/data-messages.js';
import type { Wording } from '../server/messages.js';

export const masterKeyFileName = 'master.key';
const keyBytes = 32;

export interface MasterKey {
  version: number;
  key: Buffer;
}

/** The master key is missing, unreadable or malformed: the server cannot safely start. */
export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
  constructor(
    readonly wording: Wording,
    options?: ErrorOptions,
  ) {
    super(wording.en, options);
  }
}

/**
 * Every master key version the server can use. The highest version seals new data keys; older
 * versions stay readable until `keyhold admin rotate-master-key` has re-wrapped every data key.
 * A file-backed keyring notices a rotation made by another process: it re-reads the file when
 * it changes (before sealing) or when a ciphertext names a version it does not know (before
 * opening).
 */
export interface Keyring {
  /** Where the keys come from, for messages (never the key itself). */
  readonly source: string;
  /** The file, when the keys live in one (rotation needs it). */
  readonly file: string | undefined;
  current(): MasterKey;
  byVersion(version: number): MasterKey;
  versions(): number[];
}

/**
 * File format: one `<version>:<base64 of 32 bytes>` per line; `#` lines are comments. The same
 * text (or a bare base64 key, taken as version 1) is accepted from KEYHOLD_MASTER_KEY.
 */
export function parseMasterKeys(text: string, source: string): MasterKey[] {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const keys = lines.map((line, index) => {
    const match = /^(?:(\d{1,6}):)?([A-Za-z0-9+/=_-]+)$/.exec(line);
    const version = match?.[1] ?? (lines.length === 1 ? '1' : undefined);
    const key = match?.[2] ? Buffer.from(match[2], 'base64') : undefined;
    if (version === undefined || key?.length !== keyBytes || Number(version) < 1) {
      throw new MasterKeyError(dataMessages.notAMasterKeyLine(source, index + 1));
    }
    return { version: Number(version), key };
  });
  if (keys.length === 0) throw new MasterKeyError(dataMessages.noMasterKeyIn(source));
  const versions = new Set(keys.map((k) => k.version));
  if (versions.size !== keys.length) {
    throw new MasterKeyError(dataMessages.versionTwice(source));
  }
  return keys.sort((a, b) => a.version - b.version);
}

export function formatMasterKeys(keys: MasterKey[]): string {
  const header =
    '# Keyhold master key. Without it the secrets in the database cannot be read:\n' +
    '# keep a copy somewhere safe, apart from database backups. Never share it.\n';
  return header + keys.map((k) => `${k.version}:${k.key.toString('base64')}\n`).join('');
}

export function generateMasterKey(version: number): MasterKey {
  return { version, key: randomBytes(keyBytes) };
}

/**
 * Writes the keys to a new temporary file beside `file`, on disk (fsync) before anything is
 * sealed with them, hands its name to `place`, and removes it whatever happens: no failure
 * (a full disk, say) leaves a key file behind.
 */
function withTemporaryKeyFile<T>(
  file: string,
  keys: MasterKey[],
  place: (temporary: string) => T,
): T {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeFileSync(fd, formatMasterKeys(keys));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return place(temporary);
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** Writes the whole file or nothing: a temporary file in the same directory, then a rename. */
export function writeMasterKeyFile(file: string, keys: MasterKey[]): void {
  withTemporaryKeyFile(file, keys, (temporary) => {
    renameSync(temporary, file);
  });
}

/**
 * Creates the file with a fresh version-1 key unless it exists. Linking a complete temporary
 * file into place means two servers starting at once agree on one key and nobody ever reads a
 * half-written file.
 */
function createMasterKeyFileIfMissing(file: string): boolean {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  return withTemporaryKeyFile(file, [generateMasterKey(1)], (temporary) => {
    try {
      linkSync(temporary, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    syncFolderOf(file);
    return true;
  });
}

/**
 * The new name is on disk too before the first secret is sealed with the key. Windows cannot
 * open folders, and some file systems (FUSE, network mounts) cannot sync them.
 */
function syncFolderOf(file: string): void {
  if (process.platform === 'win32') return;
  const folder = openSync(dirname(file), 'r');
  try {
    fsyncSync(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (!['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EISDIR'].includes(code)) throw error;
  } finally {
    closeSync(folder);
  }
}

function readKeyFile(file: string): { keys: MasterKey[]; stamp: string } {
  let stat;
  let text;
  try {
    stat = statSync(file);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new MasterKeyError(dataMessages.unreadableKeyFile(file, (error as Error).message));
  }
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    throw new MasterKeyError(dataMessages.keyFileReadableByOthers(file));
  }
  return { keys: parseMasterKeys(text, file), stamp: `${stat.mtimeMs}:${stat.size}:${stat.ino}` };
}

class StaticKeyring implements Keyring {
  readonly file = undefined;
  constructor(
    readonly source: string,
    private readonly keys: MasterKey[],
  ) {}

  current(): MasterKey {
    return latest(this.keys);
  }

  byVersion(version: number): MasterKey {
    return findVersion(this.keys, version, this.source);
  }

  versions(): number[] {
    return this.keys.map((k) => k.version);
  }
}

class FileKeyring implements Keyring {
  private keys: MasterKey[];
  private stamp: string;

  constructor(readonly file: string) {
    ({ keys: this.keys, stamp: this.stamp } = readKeyFile(file));
  }

  get source(): string {
    return this.file;
  }

  private reloadIfChanged(): void {
    let stamp;
    try {
      const stat = statSync(this.file);
      stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch {
      return; // Keep the keys in memory; the next start will report the missing file.
    }
    if (stamp !== this.stamp) ({ keys: this.keys, stamp: this.stamp } = readKeyFile(this.file));
  }

  current(): MasterKey {
    this.reloadIfChanged();
    return latest(this.keys);
  }

  byVersion(version: number): MasterKey {
    if (!this.keys.some((k) => k.version === version)) this.reloadIfChanged();
    return findVersion(this.keys, version, this.file);
  }

  versions(): number[] {
    this.reloadIfChanged();
    return this.keys.map((k) => k.version);
  }
}

function latest(keys: MasterKey[]): MasterKey {
  const key = keys.at(-1);
  if (!key) throw new MasterKeyError(dataMessages.noMasterKey);
  return key;
}

function findVersion(keys: MasterKey[], version: number, source: string): MasterKey {
  const key = keys.find((k) => k.version === version);
  if (!key) {
    throw new MasterKeyError(dataMessages.missingVersion(version, source));
  }
  return key;
}

export interface KeyringOptions {
  dataDir: string;
  masterKeyFile?: string | undefined;
  /** The contents of KEYHOLD_MASTER_KEY. */
  masterKey?: string | undefined;
  /**
   * Whether a missing `<data-dir>/master.key` may be created: only on the first start of a
   * database that holds no sealed secrets (see `missingMasterKeyFile`). Admin commands say no:
   * they must never invent a key for an existing database.
   */
  create?: boolean;
}

/**
 * The `<data-dir>/master.key` that `loadKeyring` would create because it does not exist, or
 * undefined when the key comes from KEYHOLD_MASTER_KEY, --master-key-file or an existing file.
 */
export function missingMasterKeyFile(options: KeyringOptions): string | undefined {
  if (options.masterKey || options.masterKeyFile) return undefined;
  const file = join(options.dataDir, masterKeyFileName);
  return existsSync(file) ? undefined : file;
}

export interface LoadedKeyring {
  keyring: Keyring;
  /** True when this call created a new key file (the first start). */
  created: boolean;
}

/**
 * KEYHOLD_MASTER_KEY wins, then --master-key-file (which must exist: a typo must not silently
 * start a new key), then `<data-dir>/master.key`, created with mode 0600 on first start.
 */
export function loadKeyring(options: KeyringOptions): LoadedKeyring {
  if (options.masterKey) {
    return {
      keyring: new StaticKeyring(
        'KEYHOLD_MASTER_KEY',
        parseMasterKeys(options.masterKey, 'KEYHOLD_MASTER_KEY'),
      ),
      created: false,
    };
  }
  if (options.masterKeyFile) {
    return { keyring: new FileKeyring(options.masterKeyFile), created: false };
  }
  const file = join(options.dataDir, masterKeyFileName);
  if (options.create === false && !existsSync(file)) {
    throw new MasterKeyError(dataMessages.masterKeyFileMissing(file));
  }
  const created = createMasterKeyFileIfMissing(file);
  return { keyring: new FileKeyring(file), created };
}
