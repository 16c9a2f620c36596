import type { Wording } from '../text/wording.js';
import { bitLockerMessages } from './messages.js';
import { protectorIdFromBytes } from './protector-id.js';
import { decodeText } from './text-decoding.js';

/**
 * Readers for the recovery key exports of the systems organisations escrow keys in today:
 * Entra ID / Intune (the admin centre's CSV and the Graph `bitlockerRecoveryKey` list as JSON),
 * Active Directory `msFVE-RecoveryInformation` objects (LDIF from ldifde or ldapsearch, and
 * `Get-ADObject ... | ConvertTo-Json`), the MBAM recovery database as CSV, and Keyhold's own
 * export. Bytes in, items out: no checking of the values beyond reading them (the importer
 * checks IDs and passwords and says what is wrong with each item).
 */

export const escrowFormats = [
  'entra-csv',
  'graph-json',
  'ad-ldif',
  'ad-json',
  'mbam-csv',
  'keyhold-json',
  'keyhold-csv',
] as const;
export type EscrowFormat = (typeof escrowFormats)[number];

export type EscrowVolumeType = 'os' | 'fixed' | 'removable';

/** One recovery key as an export names it; every detail the export lacks is null. */
export interface EscrowItem {
  /** Where in the export it is: 1-based row of a CSV (after the header), entry, or object. */
  position: number;
  protectorId: string | null;
  recoveryPassword: string | null;
  deviceName: string | null;
  volumeType: EscrowVolumeType | null;
  volumeLabel: string | null;
  volumeGuid: string | null;
  /** When the key was escrowed, ISO 8601 UTC. */
  createdAt: string | null;
  /** The source says the key was already handed out (MBAM's Disclosed). */
  disclosed: boolean;
}

/** An export Keyhold cannot read; `wording` says so in English and Bokmål, `message` in English. */
export class EscrowExportError extends Error {
  override name = 'EscrowExportError';

  constructor(readonly wording: Wording) {
    super(wording.en);
  }
}

function item(position: number, fields: Partial<EscrowItem>): EscrowItem {
  return {
    position,
    protectorId: null,
    recoveryPassword: null,
    deviceName: null,
    volumeType: null,
    volumeLabel: null,
    volumeGuid: null,
    createdAt: null,
    disclosed: false,
    ...fields,
  };
}

// ---------------------------------------------------------------------------------------------
// Values

/** An ISO 8601 UTC time from the date forms these exports use, or null. */
export function escrowDate(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value).toISOString();
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim();
  // Windows PowerShell 5.1's ConvertTo-Json: "/Date(1684088503000)/".
  const msDate = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(text);
  if (msDate) return new Date(Number(msDate[1])).toISOString();
  // LDAP generalized time: 20230514182143.0Z
  const generalized = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(text);
  if (generalized) {
    const [, y, mo, d, h, mi, s] = generalized;
    return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`).toISOString();
  }
  // MBAM and SQL exports: "2023-05-14 18:21:43.123" (UTC).
  const sqlTime = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)$/.exec(text);
  const parsed = Date.parse(sqlTime ? `${sqlTime[1]}T${sqlTime[2]}Z` : text);
  return Number.isNaN(parsed) ? null : new Date(parsed).toISOString();
}

/** Graph's numbers and names, the admin centre's words, Keyhold's own. */
export function escrowVolumeType(value: unknown): EscrowVolumeType | null {
  const text = (typeof value === 'string' || typeof value === 'number' ? String(value) : '')
    .trim()
    .toLowerCase()
    .replace(/[\s_-]/g, '');
  if (['1', 'operatingsystemvolume', 'operatingsystem', 'osvolume', 'os', 'osdrive'].includes(text))
    return 'os';
  if (['2', 'fixeddatavolume', 'fixeddata', 'fixed', 'fixeddatadrive', 'data'].includes(text))
    return 'fixed';
  if (
    ['3', 'removabledatavolume', 'removabledata', 'removable', 'removabledatadrive'].includes(text)
  )
    return 'removable';
  return null;
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  if (typeof value === 'number') return String(value);
  return null;
}

/** A GUID given as bytes (AD's binary attributes: base64 in LDIF, a number array in JSON). */
function guidFromBytes(bytes: Uint8Array | null): string | null {
  return bytes?.length === 16 ? protectorIdFromBytes(bytes) : null;
}

function bytesOf(value: unknown): Uint8Array | null {
  if (Array.isArray(value) && value.every((n) => Number.isInteger(n) && n >= 0 && n < 256)) {
    return Uint8Array.from(value as number[]);
  }
  if (typeof value === 'string' && /^[A-Za-z0-9+/]{22}==$/.test(value)) {
    return Buffer.from(value, 'base64');
  }
  return null;
}

/**
 * An AD recovery object's name: "<escrow time>{<recovery GUID>}", e.g.
 * "2023-05-14T10:21:43-08:00{A1B2C3D4-...}"; the computer is the parent in the DN.
 */
function recoveryObjectName(name: string): { createdAt: string | null; guid: string | null } {
  const match = /^(.*?)\{([0-9A-Fa-f-]{36})\}$/.exec(name.trim());
  if (!match) return { createdAt: null, guid: null };
  return { createdAt: escrowDate(match[1]), guid: match[2]?.toUpperCase() ?? null };
}

/** The computer's name from "CN=<recovery object>,CN=<computer>,OU=...". */
function computerFromDn(dn: string): string | null {
  const parts = dn.split(/(?<!\\),/).map((part) => part.trim());
  const parent = parts[1];
  return parent && /^CN=/i.test(parent) ? parent.slice(3).replace(/\\(.)/g, '$1') : null;
}

// ---------------------------------------------------------------------------------------------
// CSV

/**
 * RFC 4180 rows (quoted fields, doubled quotes, CRLF or LF), separated by `,` or `;`. Fields are
 * cut out of the text whole rather than built a character at a time: an export has hundreds of
 * thousands of them.
 */
export function parseCsvRows(input: string): string[][] {
  const firstLine = input.slice(0, input.search(/\r?\n|$/));
  const separator =
    (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  const rows: string[][] = [];
  let row: string[] = [];
  const endRow = () => {
    if (row.some((cell) => cell.trim() !== '')) rows.push(row);
    row = [];
  };
  let i = 0;
  while (i <= input.length) {
    let field: string;
    if (input[i] === '"') {
      // A quoted field runs to the quote not doubled; what follows it up to the separator or
      // the line's end belongs to the field too.
      field = '';
      let from = i + 1;
      for (;;) {
        const quote = input.indexOf('"', from);
        if (quote === -1) {
          field += input.slice(from);
          i = input.length;
          break;
        }
        field += input.slice(from, quote);
        if (input[quote + 1] === '"') {
          field += '"';
          from = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      const end = fieldEnd(input, i, separator);
      field += input.slice(i, end);
      i = end;
    } else {
      const end = fieldEnd(input, i, separator);
      field = input.slice(i, end);
      i = end;
    }
    row.push(field);
    const char = input[i];
    if (char === separator) {
      i++;
      continue;
    }
    if (char === '\r' && input[i + 1] === '\n') i++;
    endRow();
    // Past the last character: the row just ended was the last one.
    if (char === undefined) break;
    i++;
  }
  return rows;
}

/** Where an unquoted stretch of a field ends: at the separator, a line break or the end. */
function fieldEnd(input: string, from: number, separator: string): number {
  let i = from;
  while (i < input.length) {
    const char = input[i];
    if (char === separator || char === '\n' || char === '\r') break;
    i++;
  }
  return i;
}

function headerKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** A CSV row with the columns of its file by (header key) name. */
interface CsvRecord {
  cells: string[];
  columns: Map<string, number>;
}

/** Reads a CSV's rows by header, each column found under any of its usual names. */
function csvRecords(rows: string[][]): { columns: Set<string>; records: CsvRecord[] } {
  const [header, ...body] = rows;
  // PowerShell's Export-Csv starts with "#TYPE ..." unless -NoTypeInformation was given.
  const names = (header ?? []).map(headerKey);
  // A name that repeats means its last column.
  const columns = new Map(names.map((name, index) => [name, index]));
  return { columns: new Set(names), records: body.map((cells) => ({ cells, columns })) };
}

function pick(record: CsvRecord, names: readonly string[]): string | null {
  for (const name of names) {
    const index = record.columns.get(name);
    const value = index === undefined ? undefined : (record.cells[index] ?? '').trim();
    if (value !== undefined && value !== '') return value;
  }
  return null;
}

const entraColumns = {
  keyId: ['keyid', 'bitlockerkeyid', 'recoverykeyid', 'id'],
  password: ['recoverykey', 'bitlockerrecoverykey', 'key', 'recoverypassword'],
  device: ['devicename', 'device', 'computername', 'displayname'],
  deviceId: ['deviceid'],
  volumeType: ['volumetype', 'drivetype', 'volume'],
  date: ['createddatetime', 'created', 'date', 'backedup', 'createdat', 'uploaded'],
} as const;

const mbamColumns = {
  keyId: ['recoverykeyid', 'keyid'],
  password: ['recoverykey', 'recoverypassword'],
  device: ['machinename', 'name', 'computername', 'devicename'],
  volumeGuid: ['volumeguid', 'volumeid'],
  volumeType: ['volumetype', 'protectortype'],
  date: ['lastupdatetime', 'createddate', 'date'],
  disclosed: ['disclosed'],
} as const;

function isMbam(columns: Set<string>): boolean {
  return columns.has('recoverykeyid') && (columns.has('volumeguid') || columns.has('disclosed'));
}

function isKeyholdCsv(columns: Set<string>): boolean {
  return columns.has('protectorid') && columns.has('recoverypassword');
}

function entraItems(records: CsvRecord[]): EscrowItem[] {
  return records.map((record, index) =>
    item(index + 1, {
      protectorId: pick(record, entraColumns.keyId),
      recoveryPassword: pick(record, entraColumns.password),
      deviceName: pick(record, entraColumns.device) ?? pick(record, entraColumns.deviceId),
      volumeType: escrowVolumeType(pick(record, entraColumns.volumeType)),
      createdAt: escrowDate(pick(record, entraColumns.date)),
    }),
  );
}

function mbamItems(records: CsvRecord[]): EscrowItem[] {
  return records.map((record, index) => {
    const disclosed = (pick(record, mbamColumns.disclosed) ?? '').toLowerCase();
    return item(index + 1, {
      protectorId: pick(record, mbamColumns.keyId),
      recoveryPassword: pick(record, mbamColumns.password),
      deviceName: pick(record, mbamColumns.device),
      volumeGuid: pick(record, mbamColumns.volumeGuid),
      volumeType: escrowVolumeType(pick(record, mbamColumns.volumeType)),
      createdAt: escrowDate(pick(record, mbamColumns.date)),
      disclosed: disclosed === '1' || disclosed === 'true',
    });
  });
}

function keyholdCsvItems(records: CsvRecord[]): EscrowItem[] {
  return records
    .filter((record) => pick(record, ['deletedat']) === null)
    .map((record, index) =>
      item(index + 1, {
        protectorId: pick(record, ['protectorid']),
        recoveryPassword: pick(record, ['recoverypassword']),
        deviceName: pick(record, ['devicename']),
        volumeLabel: pick(record, ['volumelabel']),
        volumeType: escrowVolumeType(pick(record, ['volumetype'])),
        volumeGuid: pick(record, ['volumeguid']),
        createdAt: escrowDate(pick(record, ['createdat'])),
      }),
    );
}

// ---------------------------------------------------------------------------------------------
// JSON

function objectsOf(value: unknown): Record<string, unknown>[] {
  const list = Array.isArray(value) ? value : [value];
  return list.filter(
    (entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null,
  );
}

function jsonFormat(value: unknown): { format: EscrowFormat; objects: Record<string, unknown>[] } {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    // The Graph list: { "@odata.context", "value": [...] }.
    if (Array.isArray(record.value))
      return { format: 'graph-json', objects: objectsOf(record.value) };
    // Keyhold's export: { "keys": [...] }.
    if (Array.isArray(record.keys))
      return { format: 'keyhold-json', objects: objectsOf(record.keys) };
  }
  const objects = objectsOf(value);
  const first = objects[0] ?? {};
  if ('msFVE-RecoveryPassword' in first || 'msFVE-RecoveryGuid' in first) {
    return { format: 'ad-json', objects };
  }
  if ('protectorId' in first && 'recoveryPassword' in first) {
    return { format: 'keyhold-json', objects };
  }
  if ('key' in first && 'id' in first) return { format: 'graph-json', objects };
  throw new EscrowExportError(bitLockerMessages.escrowUnknownJson);
}

function graphItems(objects: Record<string, unknown>[]): EscrowItem[] {
  return objects.map((object, index) =>
    item(index + 1, {
      protectorId: text(object.id),
      recoveryPassword: text(object.key),
      // The list names the device by its Entra object id; exports that join the device add a name.
      deviceName: text(object.deviceName) ?? text(object.displayName) ?? text(object.deviceId),
      volumeType: escrowVolumeType(object.volumeType),
      createdAt: escrowDate(object.createdDateTime),
    }),
  );
}

function adJsonItems(objects: Record<string, unknown>[]): EscrowItem[] {
  return objects.map((object, index) => {
    const name = recoveryObjectName(text(object.Name) ?? text(object.name) ?? '');
    const dn = text(object.DistinguishedName) ?? text(object.distinguishedName) ?? '';
    return item(index + 1, {
      protectorId: guidFromBytes(bytesOf(object['msFVE-RecoveryGuid'])) ?? name.guid,
      recoveryPassword: text(object['msFVE-RecoveryPassword']),
      deviceName: computerFromDn(dn),
      volumeGuid: guidFromBytes(bytesOf(object['msFVE-VolumeGuid'])),
      createdAt: name.createdAt ?? escrowDate(object.whenCreated ?? object.Created),
    });
  });
}

function keyholdJsonItems(objects: Record<string, unknown>[]): EscrowItem[] {
  return objects
    .filter((object) => object.deletedAt === null || object.deletedAt === undefined)
    .map((object, index) =>
      item(index + 1, {
        protectorId: text(object.protectorId),
        recoveryPassword: text(object.recoveryPassword),
        deviceName: text(object.deviceName),
        volumeLabel: text(object.volumeLabel),
        volumeType: escrowVolumeType(object.volumeType),
        volumeGuid: text(object.volumeGuid),
        createdAt: escrowDate(object.createdAt),
      }),
    );
}

// ---------------------------------------------------------------------------------------------
// LDIF

/** LDIF entries (RFC 2849): folded lines joined, `attr:: base64` decoded to bytes. */
export function parseLdif(input: string): Map<string, (string | Buffer)[]>[] {
  const lines = input.replace(/\r\n?/g, '\n').replace(/\n /g, '').split('\n');
  const entries: Map<string, (string | Buffer)[]>[] = [];
  let entry = new Map<string, (string | Buffer)[]>();
  const finish = () => {
    if (entry.size > 0) entries.push(entry);
    entry = new Map();
  };
  for (const line of lines) {
    if (line.trim() === '') {
      finish();
      continue;
    }
    if (line.startsWith('#') || line.startsWith('version:')) continue;
    const match = /^([A-Za-z0-9-;]+)(::?)\s?(.*)$/.exec(line);
    if (!match) continue;
    const [, name = '', kind, value = ''] = match;
    const decoded = kind === '::' ? Buffer.from(value, 'base64') : value;
    const key = name.toLowerCase();
    entry.set(key, [...(entry.get(key) ?? []), decoded]);
  }
  finish();
  return entries;
}

function ldifText(entry: Map<string, (string | Buffer)[]>, name: string): string | null {
  const value = entry.get(name.toLowerCase())?.[0];
  if (value === undefined) return null;
  return text(typeof value === 'string' ? value : value.toString('utf8'));
}

function ldifBytes(entry: Map<string, (string | Buffer)[]>, name: string): Uint8Array | null {
  const value = entry.get(name.toLowerCase())?.[0];
  return Buffer.isBuffer(value) ? value : null;
}

function ldifItems(input: string): EscrowItem[] {
  return parseLdif(input)
    .filter(
      (entry) =>
        entry.has('msfve-recoverypassword') ||
        (entry.get('objectclass') ?? []).some(
          (value) => String(value).toLowerCase() === 'msfve-recoveryinformation',
        ),
    )
    .map((entry, index) => {
      const dn = ldifText(entry, 'dn') ?? '';
      const cn = ldifText(entry, 'cn') ?? dn.split(/(?<!\\),/)[0]?.replace(/^CN=/i, '') ?? '';
      const name = recoveryObjectName(cn);
      return item(index + 1, {
        protectorId: guidFromBytes(ldifBytes(entry, 'msFVE-RecoveryGuid')) ?? name.guid,
        recoveryPassword: ldifText(entry, 'msFVE-RecoveryPassword'),
        deviceName: computerFromDn(dn),
        volumeGuid: guidFromBytes(ldifBytes(entry, 'msFVE-VolumeGuid')),
        createdAt: name.createdAt ?? escrowDate(ldifText(entry, 'whenCreated')),
      });
    });
}

// ---------------------------------------------------------------------------------------------

/** Reads an export, telling its format from its content. */
export function readEscrowExport(bytes: Uint8Array): { format: EscrowFormat; items: EscrowItem[] } {
  const input = decodeText(bytes).text.replace(/^\uFEFF/, '');
  const trimmed = input.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      throw new EscrowExportError(bitLockerMessages.escrowBadJson);
    }
    const { format, objects } = jsonFormat(value);
    const items =
      format === 'graph-json'
        ? graphItems(objects)
        : format === 'ad-json'
          ? adJsonItems(objects)
          : keyholdJsonItems(objects);
    return { format, items };
  }
  if (/^(version:\s*\d+\s*\n)?\s*(#.*\n)*dn::?/im.test(trimmed) && /msFVE-/i.test(trimmed)) {
    return { format: 'ad-ldif', items: ldifItems(trimmed) };
  }
  const rows = parseCsvRows(trimmed.replace(/^#TYPE[^\n]*\n/, ''));
  const { columns, records } = csvRecords(rows);
  if (isKeyholdCsv(columns)) return { format: 'keyhold-csv', items: keyholdCsvItems(records) };
  if (isMbam(columns)) return { format: 'mbam-csv', items: mbamItems(records) };
  if (
    entraColumns.keyId.some((name) => columns.has(name)) &&
    entraColumns.password.some((name) => columns.has(name))
  ) {
    return { format: 'entra-csv', items: entraItems(records) };
  }
  throw new EscrowExportError(bitLockerMessages.escrowUnknownFile);
}
