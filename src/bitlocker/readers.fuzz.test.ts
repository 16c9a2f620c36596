/**
 * Hostile input for every reader: mutations of real samples and random data. A reader may refuse
 * input only with a BitLockerFormatError; any other exception (a TypeError, a RangeError from an
 * out-of-bounds read) is a bug. Hangs show up as the test runner's timeout.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { corpusDir } from '../../test/support/requirements.js';
import { readBekFile, writeBekFile } from './bek-file.js';
import { BitLockerFormatError } from './errors.js';
import { bufferSource, readKeySource } from './key-sources.js';
import { parseManageBdeProtectors, parseManageBdeStatus } from './manage-bde.js';
import { parseBitLockerVolumeJson } from './powershell.js';
import { parseProtectorId, protectorIdFromBytes } from './protector-id.js';
import { readRecoveryKeyFile, writeRecoveryKeyFile } from './recovery-file.js';
import { keyToRecoveryPassword, parseRecoveryPassword } from './recovery-password.js';
import { decodeText } from './text-decoding.js';

/** At least 10,000 cases per reader; KEYHOLD_FUZZ_RUNS raises it for a longer local hunt. */
const numRuns = Math.max(10_000, Number(process.env.KEYHOLD_FUZZ_RUNS ?? 0));
const fixtures = join(import.meta.dirname, '../../test/fixtures/windows-output');
const fixtureBytes = (name: string): Buffer => readFileSync(join(fixtures, name));
const canonicalId = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const canonicalPassword = /^\d{6}(-\d{6}){7}$/;

function refusesOnlyWithTypedErrors<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (error instanceof BitLockerFormatError) return undefined;
    throw error;
  }
}

// Byte mutations: the kinds of damage a file meets (bit rot, truncation, a bad copy) plus
// size fields set to the values that break careless parsers.
type ByteMutation =
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'u16'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number };

const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 16 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 64 }),
  }),
  fc.record({
    kind: fc.constant('u16' as const),
    // Size and count fields sit at even offsets.
    at: fc.nat().map((n) => n * 2),
    value: fc.constantFrom(0, 1, 7, 8, 9, 24, 44, 48, 0x7fff, 0xffff),
  }),
  fc.record({
    kind: fc.constant('u32' as const),
    at: fc.nat().map((n) => n * 4),
    value: fc.constantFrom(0, 1, 47, 48, 156, 180, 0x7fffffff, 0xffffffff),
  }),
);

function mutateBytes(sample: Uint8Array, mutations: readonly ByteMutation[]): Buffer {
  let bytes = Buffer.from(sample);
  for (const mutation of mutations) {
    const at = bytes.length === 0 ? 0 : mutation.at % bytes.length;
    switch (mutation.kind) {
      case 'set':
        if (bytes.length > 0) bytes[at] = mutation.value;
        break;
      case 'insert':
        bytes = Buffer.concat([bytes.subarray(0, at), mutation.bytes, bytes.subarray(at)]);
        break;
      case 'delete':
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + mutation.length)]);
        break;
      case 'truncate':
        bytes = bytes.subarray(0, at);
        break;
      case 'duplicate':
        bytes = Buffer.concat([
          bytes.subarray(0, at),
          bytes.subarray(at, at + mutation.length),
          bytes.subarray(at),
        ]);
        break;
      case 'u16':
        if (at + 2 <= bytes.length) bytes.writeUInt16LE(mutation.value, at);
        break;
      case 'u32':
        if (at + 4 <= bytes.length) bytes.writeUInt32LE(mutation.value, at);
        break;
    }
  }
  return bytes;
}

function hostileBytes(samples: readonly Uint8Array[]): fc.Arbitrary<Buffer> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.constantFrom(...samples), fc.array(byteMutation, { minLength: 1, maxLength: 8 }))
        .map(([sample, mutations]) => mutateBytes(sample, mutations)),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 1024 }).map((bytes) => Buffer.from(bytes)) },
  );
}

interface TextMutation {
  kind: 'insert' | 'delete' | 'duplicate' | 'truncate';
  at: number;
  text?: string;
  length?: number;
}

// Text mutations work on characters, so that line structure, digits and braces get shuffled.
const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.string({ unit: 'binary', maxLength: 24 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom(
      '\r\n',
      '\n    ',
      ':',
      '{',
      '}',
      '"',
      '[',
      ']',
      ',',
      '-',
      '0',
      '9',
      ' ',
      '\t',
      'ID: {',
    ),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 400 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutateText(sample: string, mutations: readonly TextMutation[]): string {
  let text = sample;
  for (const mutation of mutations) {
    const at = text.length === 0 ? 0 : mutation.at % text.length;
    if (mutation.kind === 'insert')
      text = text.slice(0, at) + (mutation.text ?? '') + text.slice(at);
    else if (mutation.kind === 'delete')
      text = text.slice(0, at) + text.slice(at + (mutation.length ?? 1));
    else if (mutation.kind === 'duplicate')
      text = text.slice(0, at + (mutation.length ?? 1)) + text.slice(at);
    else text = text.slice(0, at);
  }
  return text;
}

function hostileText(samples: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.constantFrom(...samples), fc.array(textMutation, { minLength: 1, maxLength: 8 }))
        .map(([sample, mutations]) => mutateText(sample, mutations)),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 600 }) },
  );
}

const validPassword = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(keyToRecoveryPassword);
const id = '64311DEA-4587-4029-924A-BA299647998E';
const password = '235818-357951-253979-013365-241120-245575-342914-591910';

const recoveryFileSamples = [
  writeRecoveryKeyFile({ protectorId: id, recoveryPassword: password }).bytes,
  writeRecoveryKeyFile({ protectorId: id, recoveryPassword: password, language: 'nb' }).bytes,
  fixtureBytes('recovery-key-de-utf8-lf.txt'),
  fixtureBytes('recovery-key-win7-utf16be.txt'),
];
const corpusBek = corpusDir()
  ? [readFileSync(join(corpusDir() ?? '', '4381F759-C4F8-4DE0-BB61-FC33A831BDA5.BEK'))]
  : [];
const bekSamples = [
  ...corpusBek,
  writeBekFile({ keyId: id, key: Buffer.alloc(32, 7) }),
  writeBekFile({
    keyId: id,
    key: Buffer.alloc(32, 9),
    volumeId: '8F595209-F5B9-49A0-85D4-CB8F80258C27',
  }),
];
const manageBdeFiles = [
  'manage-bde-protectors-get-en.txt',
  'manage-bde-protectors-get-de.txt',
  'manage-bde-status-en.txt',
  'manage-bde-status-de.txt',
];
const manageBdeSamples = manageBdeFiles.map((name) => decodeText(fixtureBytes(name)).text);
const jsonFiles = ['get-bitlockervolume-ps51.json', 'get-bitlockervolume-ps7.json'];
const jsonSamples = jsonFiles.map((name) => decodeText(fixtureBytes(name)).text);

/** JSON shaped like Get-BitLockerVolume output with every property of any type. */
const bitLockerLikeJson = fc
  .array(
    fc.record(
      {
        MountPoint: fc.oneof(fc.constant('C:'), fc.string(), fc.integer(), fc.constant(null)),
        VolumeType: fc.oneof(fc.integer({ min: -2, max: 4 }), fc.string(), fc.boolean()),
        EncryptionMethod: fc.oneof(fc.integer(), fc.string(), fc.double()),
        KeyProtector: fc.oneof(
          fc.anything(),
          fc.array(
            fc.record(
              {
                KeyProtectorId: fc.oneof(
                  fc.uuid().map((u) => `{${u}}`),
                  fc.string(),
                  fc.integer(),
                  fc.constant(null),
                ),
                KeyProtectorType: fc.oneof(
                  fc.integer({ min: -1, max: 12 }),
                  fc.string(),
                  fc.anything(),
                ),
                RecoveryPassword: fc.oneof(
                  validPassword,
                  fc.string(),
                  fc.constant(''),
                  fc.anything(),
                ),
                KeyFileName: fc.oneof(fc.string(), fc.anything()),
              },
              { requiredKeys: [] },
            ),
            { maxLength: 4 },
          ),
        ),
      },
      { requiredKeys: [] },
    ),
    { maxLength: 3 },
  )
  .map((volumes) => JSON.stringify(volumes.length === 1 ? volumes[0] : volumes));

describe(
  'fuzz: every reader refuses hostile input only with typed errors',
  { timeout: 120_000 },
  () => {
    it('recovery password parser (never throws)', () => {
      fc.assert(
        fc.property(
          hostileText([password, `Key: ${password}\r\n`, password.replace(/-/g, ' ')]),
          (input) => {
            const result = parseRecoveryPassword(input);
            if (result.valid) {
              assert.match(result.normalized, canonicalPassword);
              assert.equal(result.key.length, 16);
            } else {
              assert.ok(result.errors.length > 0);
            }
          },
        ),
        { numRuns },
      );
    });

    it('key protector ID parser', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            hostileText([id, `{${id}}`, id.toLowerCase().replace(/-/g, '')]),
            fc.uint8Array({ maxLength: 20 }),
          ),
          (input) => {
            const parsed = refusesOnlyWithTypedErrors(() =>
              typeof input === 'string' ? parseProtectorId(input) : protectorIdFromBytes(input),
            );
            if (parsed !== undefined) assert.match(parsed, canonicalId);
          },
        ),
        { numRuns },
      );
    });

    it('recovery key file reader', () => {
      fc.assert(
        fc.property(hostileBytes(recoveryFileSamples), (bytes) => {
          for (const key of refusesOnlyWithTypedErrors(() => readRecoveryKeyFile(bytes)) ?? []) {
            assert.match(key.protectorId, canonicalId);
            assert.match(key.recoveryPassword, canonicalPassword);
          }
        }),
        { numRuns },
      );
    });

    it('.BEK file reader', () => {
      fc.assert(
        fc.property(hostileBytes(bekSamples), (bytes) => {
          const bek = refusesOnlyWithTypedErrors(() => readBekFile(bytes));
          if (bek) {
            assert.match(bek.keyId, canonicalId);
            assert.equal(bek.key.length, 32);
          }
        }),
        { numRuns },
      );
    });

    it('manage-bde -protectors -get reader', () => {
      fc.assert(
        fc.property(hostileText(manageBdeSamples), (text) => {
          for (const volume of refusesOnlyWithTypedErrors(() => parseManageBdeProtectors(text)) ??
            []) {
            for (const protector of volume.protectors) assert.match(protector.id, canonicalId);
          }
        }),
        { numRuns },
      );
    });

    it('manage-bde -status reader', () => {
      fc.assert(
        fc.property(hostileText(manageBdeSamples), (text) => {
          refusesOnlyWithTypedErrors(() => parseManageBdeStatus(text));
        }),
        { numRuns },
      );
    });

    it('Get-BitLockerVolume JSON reader', () => {
      fc.assert(
        fc.property(fc.oneof(hostileText(jsonSamples), bitLockerLikeJson, fc.json()), (text) => {
          for (const volume of refusesOnlyWithTypedErrors(() => parseBitLockerVolumeJson(text)) ??
            []) {
            for (const protector of volume.keyProtectors) {
              assert.match(protector.id, canonicalId);
              if (protector.recoveryPassword)
                assert.match(protector.recoveryPassword, canonicalPassword);
            }
          }
        }),
        { numRuns },
      );
    });

    it('content detection over all formats', async () => {
      const samples = [
        ...recoveryFileSamples,
        ...bekSamples,
        ...manageBdeFiles.map(fixtureBytes),
        ...jsonFiles.map(fixtureBytes),
      ];
      await fc.assert(
        fc.asyncProperty(hostileBytes(samples), async (bytes) => {
          try {
            await readKeySource(bufferSource('fuzz', bytes));
          } catch (error) {
            if (!(error instanceof BitLockerFormatError)) throw error;
          }
        }),
        { numRuns },
      );
    });
  },
);
