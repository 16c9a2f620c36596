import { requireConfirmedAddress } from '../auth/index.js';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BitLockerFormatError } from '../../../bitlocker/errors.js';
import { bufferSource, readKeySource, type FoundKey } from '../../../bitlocker/key-sources.js';
import { parseProtectorId, type ProtectorType } from '../../../bitlocker/protector-id.js';
import { parseRecoveryPassword } from '../../../bitlocker/recovery-password.js';
import { newId } from '../../../db/ids.js';
import type { VolumeType } from '../../../db/schema.js';
import { hasUnsafeCharacters } from '../../../text/unsafe-characters.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import type { LimitPolicy } from '../../credential-limits.js';
import { authorize, type Library } from '../../policies.js';
import type { Language, Wording } from '../../messages.js';
import {
  InvalidCharactersError,
  minutesToWait,
  RateLimitedError,
  ValidationError,
} from '../../errors.js';
import * as repo from './repo.js';
import { retryingOnDuplicate, storeKey } from './add-key.js';
import { librarySubject, notFoundLibrary, passwordRef } from './key-access.js';
import {
  guessVolumeType,
  KeyConflictError,
  normalizeDeviceName,
  placementAfterSave,
  storedPlacement,
  type DetailField,
  type GivenDetails,
  type ValidKey,
} from './new-key.js';

/** Key files and tool output are a few kilobytes; a megabyte leaves room for long outputs. */
export const maximumUploadBytes = 1024 * 1024;

/**
 * Imports (dry runs included) one account may start: a file of thousands of keys costs seconds of
 * work, so the allowance is generous for people and small for a script. Past it, each further
 * import waits a growing time (credential-limits.ts), counters start again after a quiet hour.
 */
export const importPolicy: LimitPolicy = { free: 30, quietMinutes: 60 };

/** Keys looked up or stored between two turns of the event loop. */
const keysPerTurn = 50;

export class ImportLimitError extends RateLimitedError {
  constructor(retryAfterSeconds: number) {
    super(
      retryAfterSeconds,
      'import_limited',
      {
        en:
          `This account has started ${importPolicy.free} imports within the hour, the most allowed. ` +
          `Try again in ${minutesToWait(retryAfterSeconds).en}.`,
        nb:
          `Denne kontoen har startet ${importPolicy.free} importer den siste timen, det meste som er tillatt. ` +
          `Prøv igjen om ${minutesToWait(retryAfterSeconds).nb}.`,
      },
      { limit: importPolicy.free },
    );
  }
}

export const importLimitKey = (accountId: string) => `import:${accountId}`;

async function countImport(ctx: ServerContext, caller: Caller): Promise<void> {
  try {
    await ctx.limiter.count(importLimitKey(caller.accountId), importPolicy);
  } catch (error) {
    if (error instanceof RateLimitedError) throw new ImportLimitError(error.retryAfterSeconds);
    throw error;
  }
}

/** Lets other requests run between slices of a long import. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The name without any folder: a client may send a path (`C:\Users\...\key.TXT`,
 * `../../x`), and only the name is worth keeping or showing.
 */
export function baseName(fileName: string): string {
  const name = fileName.split(/[\\/]/).pop()?.trim() ?? '';
  return name === '' || name === '.' || name === '..' ? 'upload' : name;
}

export interface Upload {
  fileName: string;
  bytes: Buffer;
  /** The device the keys belong to, when the person says; files rarely name it. */
  deviceName?: string | undefined;
  volumeType?: VolumeType | undefined;
}

export type ImportAction = 'add' | 'update' | 'skip' | 'conflict';

/** Why a protector is skipped or not changed: a stable code, worded in importReasons. */
export type ImportReason =
  | 'startup_key'
  | 'tpm'
  | 'password_protector'
  | 'no_recovery_password'
  | 'repeated'
  | 'invalid_password'
  | 'already_stored'
  | 'different_password';

const importReasons: Record<ImportReason, Wording> = {
  startup_key: {
    en: 'a startup key (.BEK): it is not a recovery key; keep the file on its USB drive as it is',
    nb: 'en oppstartsnøkkel (.BEK): den er ikke en gjenopprettingsnøkkel; la filen ligge på USB-stasjonen som den er',
  },
  tpm: {
    en: 'the TPM protector holds nothing to back up',
    nb: 'TPM-beskyttelsen har ikke noe å sikkerhetskopiere',
  },
  password_protector: {
    en: 'a password protector: only recovery keys (48 digits) are kept in the library',
    nb: 'en passordbeskyttelse: bare gjenopprettingsnøkler (48 sifre) lagres i biblioteket',
  },
  no_recovery_password: {
    en: 'this protector holds no recovery password',
    nb: 'denne beskyttelsen har ikke noe gjenopprettingspassord',
  },
  repeated: {
    en: 'the same key appears earlier in the file',
    nb: 'den samme nøkkelen står tidligere i filen',
  },
  invalid_password: {
    en: 'its recovery password is not valid',
    nb: 'gjenopprettingspassordet er ikke gyldig',
  },
  already_stored: {
    en: 'already in your library',
    nb: 'finnes allerede i biblioteket ditt',
  },
  different_password: {
    en: 'your library holds a different recovery password for this Key ID; nothing was changed',
    nb: 'biblioteket ditt har et annet gjenopprettingspassord for denne nøkkel-ID-en; ingenting ble endret',
  },
};

/** One protector found in the file. It never carries the recovery password. */
export interface ImportFinding {
  protectorId: string;
  type: ProtectorType;
  volume: { label: string; type: VolumeType } | null;
  action: ImportAction;
  reasonCode?: ImportReason;
  /** The reason in the language of the request; set by `wordImportResult`. */
  reason?: string;
  /** For a key already stored: the details this import changes (or changed). */
  updated?: DetailField[];
}

export interface ImportResult {
  found: ImportFinding[];
  added: number;
  updated: number;
  /** The stored copy of the file (not for a dry run, nor when nothing was stored). */
  fileId: string | null;
}

const skipReasons: Partial<Record<ProtectorType, ImportReason>> = {
  'external-key': 'startup_key',
  tpm: 'tpm',
  password: 'password_protector',
};

/** The result with each finding's reason worded in the language the request asks for. */
export function wordImportResult(result: ImportResult, language: Language): ImportResult {
  return {
    ...result,
    found: result.found.map((finding) =>
      finding.reasonCode
        ? { ...finding, reason: importReasons[finding.reasonCode][language] }
        : finding,
    ),
  };
}

/**
 * Why a whole file cannot be read, for the person who uploaded it: the reader's own wording
 * ("looks like a PNG image, ...") after the file's name.
 */
function formatRefusal(fileName: string, error: BitLockerFormatError): Wording {
  const sentence = (text: string) => `${fileName} ${text}${text.endsWith('.') ? '' : '.'}`;
  return { en: sentence(error.wording.en), nb: sentence(error.wording.nb) };
}

/** Uploads larger than this are read on a worker thread; smaller ones take a few milliseconds. */
const offThreadBytes = 64 * 1024;

/**
 * The worker beside this module: compiled (.js) when the server runs from dist; the TypeScript
 * source when the tests run it under tsx, whose loader hooks Node 20 does not pass on to worker
 * threads, so there it goes through tsx's own `require`.
 */
const workerFile = fileURLToPath(import.meta.url).replace(
  /import\.(ts|js)$/,
  'read-upload-worker.$1',
);
const workerStart = `
const { workerData } = require('node:worker_threads');
if (workerData.file.endsWith('.ts')) require(workerData.tsx).require(workerData.file, workerData.file);
else import(require('node:url').pathToFileURL(workerData.file).href);
`;
const tsxApi = workerFile.endsWith('.ts')
  ? createRequire(import.meta.url).resolve('tsx/cjs/api')
  : undefined;

/** Reads a large upload on a worker thread, so the event loop stays free while it parses. */
function readKeysOffThread(fileName: string, bytes: Buffer): Promise<FoundKey[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerStart, {
      eval: true,
      workerData: { fileName, bytes, file: workerFile, tsx: tsxApi },
    });
    worker.once('message', (answer: { keys?: FoundKey[]; formatError?: FormatErrorData }) => {
      if (answer.formatError) {
        reject(new BitLockerFormatError(answer.formatError.code, answer.formatError.wording));
      } else {
        resolve(answer.keys ?? []);
      }
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      reject(new Error(`reading ${fileName} on a worker thread stopped (exit code ${code})`));
    });
  });
}

interface FormatErrorData {
  code: string;
  wording: Wording;
}

async function readUpload(upload: Upload): Promise<FoundKey[]> {
  if (upload.bytes.length === 0) {
    throw new ValidationError(
      { en: `${upload.fileName} is empty.`, nb: `${upload.fileName} er tom.` },
      [{ field: 'file', reason: { en: 'the file is empty', nb: 'filen er tom' } }],
    );
  }
  // Names that reach the library from an upload meet the rule typed names do (plain-text.ts).
  if (hasUnsafeCharacters(upload.fileName)) {
    throw new InvalidCharactersError('filename', { en: "The file's name", nb: 'Filnavnet' });
  }
  if (upload.deviceName !== undefined && hasUnsafeCharacters(upload.deviceName)) {
    throw new InvalidCharactersError('deviceName', { en: 'The device name', nb: 'Enhetsnavnet' });
  }
  try {
    const found =
      upload.bytes.length > offThreadBytes
        ? await readKeysOffThread(upload.fileName, upload.bytes)
        : await readKeySource(bufferSource(upload.fileName, upload.bytes));
    if (found.some((key) => key.volume !== undefined && hasUnsafeCharacters(key.volume))) {
      throw new InvalidCharactersError('file', {
        en: 'A drive named in the file',
        nb: 'En stasjon som er nevnt i filen',
      });
    }
    return found;
  } catch (error) {
    if (!(error instanceof BitLockerFormatError)) throw error;
    throw new ValidationError(formatRefusal(upload.fileName, error), [
      { field: 'file', reason: error.wording },
    ]);
  }
}

interface Planned {
  finding: ImportFinding;
  key: ValidKey | undefined;
}

/**
 * Reads an uploaded file of any kind `keyhold read` understands and adds its recovery keys; a
 * dry run only says what would happen. The original file is kept (encrypted) with the keys it
 * added or updated, so it can be downloaded again as it was.
 */
export async function importKeyFile(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  upload: Upload,
  { dryRun }: { dryRun: boolean },
): Promise<ImportResult> {
  const access = authorize(caller, 'write', library, notFoundLibrary(library));
  await requireConfirmedAddress(ctx, caller);
  await countImport(ctx, caller);
  const owner = access.owner;
  const fileName = baseName(upload.fileName);
  const foundKeys = await readUpload({ ...upload, fileName });
  const deviceName = upload.deviceName === undefined ? '' : normalizeDeviceName(upload.deviceName);
  const seen = new Set<string>();
  const plan: Planned[] = [];
  for (const [index, found] of foundKeys.entries()) {
    if (index > 0 && index % keysPerTurn === 0) await nextTurn();
    const protectorId = parseProtectorId(found.protectorId);
    const label = found.volume ?? '';
    const finding: ImportFinding = {
      protectorId,
      type: found.type,
      volume: found.volume ? { label, type: upload.volumeType ?? guessVolumeType(label) } : null,
      action: 'add',
    };
    if (found.recoveryPassword === undefined) {
      plan.push({
        finding: {
          ...finding,
          action: 'skip',
          reasonCode: skipReasons[found.type] ?? 'no_recovery_password',
        },
        key: undefined,
      });
      continue;
    }
    if (seen.has(protectorId)) {
      plan.push({
        finding: { ...finding, action: 'skip', reasonCode: 'repeated' },
        key: undefined,
      });
      continue;
    }
    seen.add(protectorId);
    const parsed = parseRecoveryPassword(found.recoveryPassword);
    if (!parsed.valid) {
      plan.push({
        finding: { ...finding, action: 'skip', reasonCode: 'invalid_password' },
        key: undefined,
      });
      continue;
    }
    // Only what the upload says counts as given: the person's device name and drive type, the
    // drive a tool's output names. A stored key keeps everything else.
    const given: GivenDetails = {
      ...(deviceName === '' ? {} : { deviceName }),
      ...(found.volume === undefined ? {} : { volumeLabel: label }),
      ...(upload.volumeType === undefined ? {} : { volumeType: upload.volumeType }),
    };
    const key: ValidKey = {
      protectorHex: protectorId.replaceAll('-', ''),
      recoveryPassword: parsed.normalized,
      given,
      fallback: {
        deviceName: '',
        volume: { label: '', type: guessVolumeType(label), volumeGuid: null },
      },
      source: 'import',
      proven: false,
    };
    const existing = await repo.findKeyByProtector(ctx.db, owner, key.protectorHex);
    if (!existing) {
      plan.push({ finding, key });
      continue;
    }
    const stored = await ctx.secrets.getText(ctx.db, passwordRef(owner, existing.id));
    const row = await repo.findKeySummary(ctx.db, owner, existing.id);
    plan.push(
      stored === key.recoveryPassword && row
        ? {
            finding: {
              ...finding,
              action: 'update',
              reasonCode: 'already_stored',
              updated: placementAfterSave(given, storedPlacement(row), true).updated,
            },
            key,
          }
        : {
            finding: { ...finding, action: 'conflict', reasonCode: 'different_password' },
            key: undefined,
          },
    );
  }

  const found = plan.map((planned) => planned.finding);
  const count = (action: ImportAction) => found.filter((f) => f.action === action).length;
  if (dryRun) return { found, added: count('add'), updated: count('update'), fileId: null };

  const fileId = await retryingOnDuplicate(ctx, async (trx) => {
    const storedIds: string[] = [];
    for (const [index, planned] of plan.entries()) {
      if (index > 0 && index % keysPerTurn === 0) await nextTurn();
      if (!planned.key) continue;
      try {
        const stored = await storeKey(ctx, trx, caller, access, planned.key);
        planned.finding.action = stored.outcome === 'created' ? 'add' : 'update';
        if (stored.outcome === 'updated') planned.finding.updated = stored.updated;
        else delete planned.finding.updated;
        storedIds.push(stored.id);
      } catch (error) {
        // Another upload stored a different password under this Key ID since the plan was made.
        if (!(error instanceof KeyConflictError)) throw error;
        planned.finding.action = 'conflict';
        planned.finding.reasonCode = 'different_password';
      }
    }
    if (storedIds.length === 0) return null;
    const id = newId();
    await repo.insertFile(
      trx,
      owner,
      {
        id,
        file_name: fileName,
        size: upload.bytes.length,
        format: foundKeys[0]?.format ?? 'unknown',
        in_vault_at: null,
        created_at: ctx.now().toISOString(),
      },
      storedIds,
    );
    await ctx.secrets.put(trx, { kind: repo.uploadedFileKind, boundId: id, owner }, upload.bytes);
    await ctx.audit.record(trx, caller, {
      action: 'keys_imported',
      ...librarySubject(access),
      details: {
        fileId: id,
        fileName,
        added: plan.filter((p) => p.finding.action === 'add').length,
        updated: plan.filter((p) => p.finding.action === 'update').length,
        conflicts: plan.filter((p) => p.finding.action === 'conflict').length,
      },
    });
    return id;
  });
  return { found, added: count('add'), updated: count('update'), fileId };
}
