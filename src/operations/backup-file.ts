import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { syncDirectory } from '../files/atomic-file.js';
import { OperationError, operationMessages } from './messages.js';

/**
 * One file per backup, readable with `head -2` and nothing else:
 *
 *     keyhold-backup/1\n
 *     {manifest as one line of JSON}\n
 *     <payload: the SQLite file or a pg_dump custom-format archive>
 *     \nkeyhold-backup-end sha256=<hex of every byte before this line>\n
 *
 * The manifest carries the payload's own length and checksum too, so a cut-short file is told
 * apart from a changed one, and both from a file that is not a backup at all.
 */
export const backupHeader = 'keyhold-backup/1';
const trailerPrefix = '\nkeyhold-backup-end sha256=';
const trailerBytes = trailerPrefix.length + 64 + 1;
/** The header and manifest are small; more than this before the payload is not a backup. */
const maxPreambleBytes = 1024 * 1024;

const sealedMasterKeySchema = z.object({
  kdf: z.literal('scrypt'),
  cost: z.number().int(),
  blockSize: z.number().int(),
  parallelism: z.number().int(),
  salt: z.string(),
  nonce: z.string(),
  tag: z.string(),
  ciphertext: z.string(),
});

export const manifestSchema = z.object({
  format: z.literal(backupHeader),
  createdAt: z.string(),
  keyholdVersion: z.string(),
  database: z.object({
    dialect: z.enum(['sqlite', 'postgres']),
    /** The newest migration applied: the schema version. */
    schemaVersion: z.string(),
    migrations: z.array(z.string()),
    /** PostgreSQL: the schema the tables live in (pg_restore recreates it by this name). */
    schema: z.string().optional(),
  }),
  counts: z.record(z.string(), z.number().int().min(0)),
  auditHead: z.object({ seq: z.number().int().min(0), hash: z.string() }),
  payload: z.object({
    kind: z.enum(['sqlite', 'pg_dump-custom']),
    bytes: z.number().int().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  masterKey: z.object({
    /** The master key versions the backup's secrets are sealed with. */
    versionsInUse: z.array(z.number().int()),
    /**
     * Per version, HMAC-SHA256(key, a fixed label): lets a restore tell a wrong key file before
     * writing anything, and reveals nothing about the key.
     */
    checks: z.record(z.string(), z.string()),
    /** The key file's text sealed under a passphrase (`--with-master-key`). */
    sealed: sealedMasterKeySchema.optional(),
    /** Without the sealed key: where the key was read from when the backup was taken. */
    source: z.string().optional(),
  }),
});

export type BackupManifest = z.infer<typeof manifestSchema>;
export type SealedMasterKeyFields = z.infer<typeof sealedMasterKeySchema>;

async function sha256OfRange(file: string, start: number, endExclusive: number): Promise<string> {
  const hash = createHash('sha256');
  if (endExclusive > start) {
    for await (const chunk of createReadStream(file, { start, end: endExclusive - 1 })) {
      hash.update(chunk as Buffer);
    }
  }
  return hash.digest('hex');
}

/**
 * Writes the backup next to `out` under a temporary name and renames it into place once it is on
 * disk, so an interrupted backup never replaces a good one with half a file.
 */
export async function writeBackupFile(
  out: string,
  manifest: Omit<BackupManifest, 'payload'> & {
    payload: { kind: BackupManifest['payload']['kind'] };
  },
  payloadFile: string,
): Promise<BackupManifest> {
  const { size } = await stat(payloadFile);
  const complete: BackupManifest = {
    ...manifest,
    payload: {
      ...manifest.payload,
      bytes: size,
      sha256: await sha256OfRange(payloadFile, 0, size),
    },
  };
  const preamble = Buffer.from(`${backupHeader}\n${JSON.stringify(complete)}\n`, 'utf8');
  const temporary = `${out}.${process.pid}.partial`;
  try {
    const whole = createHash('sha256').update(preamble);
    const output = createWriteStream(temporary, { mode: 0o600, flags: 'wx' });
    output.write(preamble);
    await pipeline(
      createReadStream(payloadFile),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          whole.update(chunk);
          yield chunk;
        }
      },
      output,
    );
    const handle = await open(temporary, 'a');
    try {
      await handle.write(`${trailerPrefix}${whole.digest('hex')}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, out);
    await syncDirectory(dirname(out));
  } finally {
    await rm(temporary, { force: true });
  }
  return complete;
}

export interface BackupFile {
  file: string;
  manifest: BackupManifest;
  /** Where the payload starts in the file. */
  payloadOffset: number;
}

/**
 * Reads the manifest and checks the file's length and checksums. Throws an OperationError
 * naming what is wrong: not a backup, a damaged manifest, cut short, grown, or changed.
 */
export async function openBackupFile(file: string): Promise<BackupFile> {
  const { size } = await stat(file);
  const handle = await open(file, 'r');
  let preamble: Buffer;
  try {
    const buffer = Buffer.alloc(Math.min(size, maxPreambleBytes));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    preamble = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const headerEnd = preamble.indexOf(0x0a);
  if (headerEnd < 0 || preamble.subarray(0, headerEnd).toString('latin1') !== backupHeader) {
    throw new OperationError(operationMessages.notABackup(file));
  }
  const manifestEnd = preamble.indexOf(0x0a, headerEnd + 1);
  if (manifestEnd < 0) {
    throw new OperationError(operationMessages.unreadableManifest(file, 'it has no end of line'));
  }
  let manifest: BackupManifest;
  try {
    manifest = manifestSchema.parse(
      JSON.parse(preamble.subarray(headerEnd + 1, manifestEnd).toString('utf8')),
    );
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'it is not JSON' : 'fields are missing or wrong';
    throw new OperationError(operationMessages.unreadableManifest(file, reason));
  }
  const payloadOffset = manifestEnd + 1;
  const expectedSize = payloadOffset + manifest.payload.bytes + trailerBytes;
  if (size < expectedSize) {
    throw new OperationError(operationMessages.truncated(file, size, expectedSize));
  }
  if (size > expectedSize) {
    throw new OperationError(operationMessages.trailingBytes(file, size - expectedSize));
  }
  const trailerHandle = await open(file, 'r');
  let trailer: string;
  try {
    const buffer = Buffer.alloc(trailerBytes);
    await trailerHandle.read(buffer, 0, trailerBytes, size - trailerBytes);
    trailer = buffer.toString('latin1');
  } finally {
    await trailerHandle.close();
  }
  const recorded = /^\nkeyhold-backup-end sha256=([0-9a-f]{64})\n$/.exec(trailer)?.[1];
  if (!recorded || recorded !== (await sha256OfRange(file, 0, size - trailerBytes))) {
    throw new OperationError(operationMessages.checksumMismatch(file));
  }
  const payloadEnd = payloadOffset + manifest.payload.bytes;
  if ((await sha256OfRange(file, payloadOffset, payloadEnd)) !== manifest.payload.sha256) {
    throw new OperationError(operationMessages.payloadMismatch(file));
  }
  return { file, manifest, payloadOffset };
}

/** Copies the payload out of a checked backup file into `into` (mode 0600). */
export async function extractPayload(backup: BackupFile, into: string): Promise<void> {
  const { payloadOffset, manifest } = backup;
  const output = createWriteStream(into, { mode: 0o600, flags: 'wx' });
  await pipeline(
    createReadStream(backup.file, {
      start: payloadOffset,
      end: payloadOffset + manifest.payload.bytes - 1,
    }),
    output,
  );
}
