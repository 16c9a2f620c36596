import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isUniqueViolation } from '../../../db/errors.js';
import type { ServerContext } from '../../context.js';
import * as repo from './repo.js';

/**
 * What a device's check-in costs nothing to store: the challenges it signs and the access tokens
 * it gets are signed by the server (HMAC-SHA-256 with a key every server process shares, kept as
 * a sealed secret), so issuing one writes nothing and checking one reads nothing. The database
 * keeps only what must outlive a process: each device's replay guard (see
 * EnrolledDevicesTable.last_challenge_ms) and the ended enrollments, which each process keeps in
 * memory until they change.
 */

const credentialKeyRef = { kind: 'device_credential_key', boundId: 'agent', owner: undefined };
const challengePrefix = 'khc_';
const accessTokenPrefix = 'kha_';

/** What a challenge says once its signature checks out. */
export interface ReadChallenge {
  enrolledDeviceId: string;
  issuedAtMs: number;
  expiresAtMs: number;
}

/** What an access token says once its signature checks out. */
export interface ReadAccessToken {
  enrolledDeviceId: string;
  organisationId: string;
  deviceId: string;
  expiresAtMs: number;
}

/** Signs and checks challenges and access tokens with the servers' shared key. */
export class DeviceCredentials {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  /** A challenge for one device, valid until `expiresAtMs`; each one differs from every other. */
  challenge(enrolledDeviceId: string, issuedAtMs: number, expiresAtMs: number): string {
    const body = [enrolledDeviceId, issuedAtMs, expiresAtMs, randomBytes(12).toString('base64url')];
    return this.#signed(challengePrefix, body.join('.'));
  }

  /** The challenge's content, or undefined for one this server family did not sign. */
  readChallenge(text: string): ReadChallenge | undefined {
    const fields = this.#opened(challengePrefix, text)?.split('.');
    if (fields?.length !== 4) return undefined;
    const [enrolledDeviceId = '', issuedAt, expiresAt] = fields;
    return { enrolledDeviceId, issuedAtMs: Number(issuedAt), expiresAtMs: Number(expiresAt) };
  }

  accessToken(content: ReadAccessToken): string {
    const body = [content.enrolledDeviceId, content.organisationId, content.deviceId];
    return this.#signed(accessTokenPrefix, [...body, content.expiresAtMs].join('.'));
  }

  readAccessToken(text: string): ReadAccessToken | undefined {
    const fields = this.#opened(accessTokenPrefix, text)?.split('.');
    if (fields?.length !== 4) return undefined;
    const [enrolledDeviceId = '', organisationId = '', deviceId = '', expiresAt] = fields;
    return { enrolledDeviceId, organisationId, deviceId, expiresAtMs: Number(expiresAt) };
  }

  /** `prefix` + the content in base64url + `.` + its MAC; the prefix is signed too. */
  #signed(prefix: string, content: string): string {
    const encoded = Buffer.from(content, 'utf8').toString('base64url');
    return `${prefix}${encoded}.${this.#mac(prefix, encoded).toString('base64url')}`;
  }

  #opened(prefix: string, text: string): string | undefined {
    if (!text.startsWith(prefix)) return undefined;
    const [encoded, macText, ...rest] = text.slice(prefix.length).split('.');
    if (encoded === undefined || macText === undefined || rest.length > 0) return undefined;
    const given = Buffer.from(macText, 'base64url');
    const expected = this.#mac(prefix, encoded);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return Buffer.from(encoded, 'base64url').toString('utf8');
  }

  #mac(prefix: string, encoded: string): Buffer {
    return createHmac('sha256', this.#key).update(prefix).update(encoded).digest();
  }
}

const credentials = new WeakMap<ServerContext, Promise<DeviceCredentials>>();

/** The server's signer, made (and its key created in the database) on first use. */
export function deviceCredentials(ctx: ServerContext): Promise<DeviceCredentials> {
  let kept = credentials.get(ctx);
  if (!kept) {
    kept = loadCredentialKey(ctx).then((key) => new DeviceCredentials(key));
    // A failed load (the database away for a moment) is tried again by the next request.
    kept.catch(() => credentials.delete(ctx));
    credentials.set(ctx, kept);
  }
  return kept;
}

async function loadCredentialKey(ctx: ServerContext): Promise<Buffer> {
  const existing = await ctx.secrets.get(ctx.db, credentialKeyRef);
  if (existing) return existing;
  try {
    await ctx.secrets.create(ctx.db, credentialKeyRef, randomBytes(32));
  } catch (error) {
    // Another server process made it first; theirs is the one every process signs with.
    if (!isUniqueViolation(error)) throw error;
  }
  const created = await ctx.secrets.get(ctx.db, credentialKeyRef);
  if (!created) throw new Error('the device credential key could not be stored');
  return created;
}

/** Answers kept; more devices than this only cost their query again. */
const endedCapacity = 200_000;

/**
 * Whether an enrollment ended, answered from memory while the ended enrollments are unchanged
 * (Database.changeStamp: SQLite's file tells, PostgreSQL announces each write to the table), so
 * a retirement takes effect on the next request, also one another process serves. While
 * changes cannot be seen, every question reads.
 */
export class EndedEnrollments {
  readonly #ctx: ServerContext;
  readonly #known = new Map<string, boolean>();
  #stamp: string | undefined;

  constructor(ctx: ServerContext) {
    this.#ctx = ctx;
  }

  async ended(enrolledDeviceId: string): Promise<boolean> {
    // Taken before reading: a retirement committed while the query runs leaves the answer stale.
    const stamp = this.#ctx.database.changeStamp(['ended_enrollments']);
    if (stamp === undefined || stamp !== this.#stamp) {
      this.#known.clear();
      this.#stamp = stamp;
    }
    const kept = this.#known.get(enrolledDeviceId);
    if (kept !== undefined) return kept;
    const ended = await repo.enrollmentEnded(this.#ctx.db, enrolledDeviceId);
    if (stamp !== undefined && stamp === this.#stamp) {
      if (this.#known.size >= endedCapacity) this.#known.clear();
      this.#known.set(enrolledDeviceId, ended);
    }
    return ended;
  }
}

const endedOf = new WeakMap<ServerContext, EndedEnrollments>();

export function endedEnrollments(ctx: ServerContext): EndedEnrollments {
  let kept = endedOf.get(ctx);
  if (!kept) {
    kept = new EndedEnrollments(ctx);
    endedOf.set(ctx, kept);
  }
  return kept;
}
