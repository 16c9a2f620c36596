import type { FastifyRequest } from 'fastify';
import type { KeyObject } from 'node:crypto';
import { publicKeyOf, readAssertion, type PublicJwk } from '../../../crypto/device-assertion.js';
import { sha256Hex } from '../../../crypto/tokens.js';
import { idPattern, newId } from '../../../db/ids.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { limitKeys, policies } from '../../credential-limits.js';
import { DomainError, NotFoundError, UnauthenticatedError } from '../../errors.js';
import { authorize, organisationLibrary } from '../../policies.js';
import { requestInfo, type RequestInfo } from '../../request-info.js';
import { deviceForEnrollment, keysToRotate } from '../keys/index.js';
import { agentState } from './agent.js';
import { deviceCredentials, endedEnrollments, type ReadAccessToken } from './device-credentials.js';
import { escrowPublicKeyOf } from './escrow-key.js';
import * as repo from './repo.js';
import type { AccessTokenAnswer, AgentState, DuplicateChoice, EnrolledDevice } from './schema.js';
import { things, type Wording } from '../../messages.js';

/**
 * Who an enrolled device is: enrollment with a token (the device's public key, hostname, OS and
 * hardware identifier), the one-time challenges it signs, the short-lived access tokens it gets
 * for them (RFC 7523 private key JWT client authentication, with the server's challenge as the
 * JWT ID), check-ins, and retiring a device. Challenges and access tokens are signed by the
 * server, not stored (see device-credentials.ts).
 */

export const tokenEndpointPath = '/api/v1/agent/token';
export const checkInPath = '/api/v1/agent/check-in';
const challengeLifetimeMs = 2 * 60_000;
/** Access tokens live for minutes: a device signs a new challenge for each run. */
export const accessTokenLifetimeSeconds = 10 * 60;
/** An assertion may not claim a longer life than this. */
const maximumAssertionLifetimeSeconds = 5 * 60;

/** A hardware identifier already enrolled: the person running enroll decides what it is. */
export class AlreadyEnrolledError extends DomainError {
  constructor(existing: { hostname: string; enrolledAt: string }) {
    super(
      409,
      'already_enrolled',
      {
        en: `This computer's hardware identifier is already enrolled (as ${existing.hostname}, on ${existing.enrolledAt.slice(0, 10)}): it is a clone or a reinstall. Enroll again choosing to replace the old enrollment or to keep both.`,
        nb: `Maskinvare-ID-en til denne datamaskinen er allerede innrullert (som ${existing.hostname}, ${existing.enrolledAt.slice(0, 10)}): det er en klone eller en ny installasjon. Rull inn på nytt og velg å erstatte den gamle innrulleringen eller beholde begge.`,
      },
      { hostname: existing.hostname, enrolledAt: existing.enrolledAt },
    );
  }
}

class EnrollmentTokenRefusedError extends DomainError {
  constructor() {
    super(401, 'invalid_enrollment_token', {
      en: 'The enrollment token is not valid: it is unknown, expired, used up or revoked. Ask an administrator of the organisation for a new one.',
      nb: 'Innrulleringsnøkkelen er ikke gyldig: den er ukjent, utløpt, oppbrukt eller trukket tilbake. Be en administrator i organisasjonen om en ny.',
    });
  }
}

class DeviceNotEnrolledError extends DomainError {
  constructor() {
    super(401, 'device_not_enrolled', {
      en: 'This device is not enrolled, or it was retired: enroll it again with keyhold agent enroll.',
      nb: 'Denne enheten er ikke innrullert, eller den er tatt ut av bruk: rull den inn på nytt med keyhold agent enroll.',
    });
  }
}

class AccessTokenRefusedError extends DomainError {
  constructor() {
    super(401, 'invalid_token', {
      en: 'The access token is not valid or has expired: sign a new challenge for a new one.',
      nb: 'Tilgangsnøkkelen er ikke gyldig eller er utløpt: signer en ny utfordring for å få en ny.',
    });
  }
}

class AssertionRefusedError extends DomainError {
  constructor(reason: Wording) {
    super(401, 'invalid_client', {
      en: `The device's signed assertion was refused (${reason.en}). Run the agent again; if it keeps failing, enroll the device again.`,
      nb: `Enhetens signerte påstand ble avvist (${reason.nb}). Kjør agenten på nytt; om det fortsatt feiler, rull inn enheten på nytt.`,
    });
  }
}

/** Why an assertion is refused, named in the refusal so a failing agent can be looked into. */
const assertionProblems = {
  malformed: { en: 'the assertion is malformed', nb: 'påstanden er feilformet' },
  algorithm: {
    en: 'the assertion uses an algorithm that is not accepted',
    nb: 'påstanden bruker en algoritme som ikke godtas',
  },
  notTheDevice: {
    en: 'issuer and subject must both be the enrolled device',
    nb: 'både utsteder og subjekt må være den innrullerte enheten',
  },
  wrongAudience: {
    en: 'the audience is not this token endpoint',
    nb: 'mottakeren er ikke dette tokenendepunktet',
  },
  lifetime: { en: 'expired or too long-lived', nb: 'utløpt eller gyldig for lenge' },
  challenge: {
    en: 'the challenge is unknown, expired or already used',
    nb: 'utfordringen er ukjent, utløpt eller allerede brukt',
  },
  keyMismatch: {
    en: 'the signature does not match the enrolled key',
    nb: 'signaturen stemmer ikke med den innrullerte nøkkelen',
  },
} satisfies Record<string, Wording>;

export interface EnrollInput {
  token: string;
  hostname: string;
  os: string;
  hardwareId: string;
  publicKey: PublicJwk;
  ifAlreadyEnrolled?: DuplicateChoice | undefined;
}

/**
 * Enrolls a computer. A token nobody issued counts against the address as any wrong credential
 * does, reserved before it is looked up; a real one that is used up, expired or revoked is
 * refused without counting, so computers behind one address are not locked out by a token that
 * ran out. The token's use is taken in the enrollment's own transaction, so a refused duplicate
 * gives it back.
 */
export async function enroll(ctx: ServerContext, info: RequestInfo, input: EnrollInput) {
  const tokenHash = sha256Hex(input.token);
  const [reservation] = await ctx.limiter.reserve([
    { key: limitKeys.enrollment(info.ipAddress), policy: policies.enrollment },
  ]);
  if (!(await repo.tokenExists(ctx.db, tokenHash))) throw new EnrollmentTokenRefusedError();
  if (reservation) await ctx.limiter.release(reservation);
  const at = ctx.now().toISOString();
  const enrolled = await ctx.database.transaction(async (trx) => {
    const token = await repo.takeTokenUse(trx, tokenHash, at);
    if (!token) return undefined;
    const organisationId = token.organisation_id;
    const duplicates = await repo.activeByHardware(trx, organisationId, input.hardwareId);
    const first = duplicates[0];
    if (first && input.ifAlreadyEnrolled === undefined) {
      throw new AlreadyEnrolledError({ hostname: first.hostname, enrolledAt: first.created_at });
    }
    const device =
      first && input.ifAlreadyEnrolled === 'replace'
        ? { id: first.device_id, name: await deviceNameOf(trx, first.id) }
        : await deviceForEnrollment(ctx, trx, organisationId, {
            name: input.hostname,
            assignee: token.assign_user_id,
            fresh: first !== undefined,
          });
    if (input.ifAlreadyEnrolled === 'replace') {
      for (const old of duplicates) await repo.endEnrollment(trx, old.id, 'replaced', at);
    }
    const id = newId();
    await repo.insertEnrolledDevice(trx, {
      id,
      organisation_id: organisationId,
      device_id: device.id,
      enrollment_token_id: token.id,
      public_key: JSON.stringify(input.publicKey),
      hostname: input.hostname,
      os: input.os,
      hardware_id: input.hardwareId,
      status: 'active',
      created_at: at,
    });
    await ctx.audit.record(
      trx,
      { accountId: null, ...info },
      {
        action: 'device_enrolled',
        organisationId,
        subjectUserId: token.assign_user_id,
        details: {
          enrolledDeviceId: id,
          deviceName: device.name,
          hostname: input.hostname,
          tokenId: token.id,
          ...(duplicates.length > 0
            ? {
                alreadyEnrolled: input.ifAlreadyEnrolled,
                earlier: duplicates.map((old) => old.id),
              }
            : {}),
        },
      },
    );
    return { id, organisationId, deviceName: device.name };
  });
  if (!enrolled) throw new EnrollmentTokenRefusedError();
  const organisation = await repo.organisationName(ctx.db, enrolled.organisationId);
  return {
    enrolledDeviceId: enrolled.id,
    deviceName: enrolled.deviceName,
    organisation: { id: enrolled.organisationId, name: organisation?.name ?? '' },
    escrowPublicKey: await escrowPublicKeyOf(ctx, enrolled.organisationId),
    tokenEndpoint: tokenEndpointPath,
  };
}

async function deviceNameOf(db: Parameters<typeof repo.enrolledById>[0], id: string) {
  return (await repo.enrolledById(db, id))?.device_name ?? '';
}

/**
 * Each enrolled device's public key, parsed once: a device's key never changes (enrolling again
 * makes a new enrolled device), and retirement is checked apart from it.
 */
interface DeviceCredential {
  organisationId: string;
  deviceId: string;
  publicKey: KeyObject;
}
const credentialCapacity = 200_000;
const credentialsOf = new WeakMap<ServerContext, Map<string, DeviceCredential>>();

async function credentialOf(
  ctx: ServerContext,
  enrolledDeviceId: string,
): Promise<DeviceCredential | undefined> {
  let kept = credentialsOf.get(ctx);
  if (!kept) {
    kept = new Map();
    credentialsOf.set(ctx, kept);
  }
  const known = kept.get(enrolledDeviceId);
  if (known) return known;
  const row = await repo.credentialOf(ctx.db, enrolledDeviceId);
  if (row?.status !== 'active') return undefined;
  const credential = {
    organisationId: row.organisation_id,
    deviceId: row.device_id,
    publicKey: publicKeyOf(JSON.parse(row.public_key) as PublicJwk),
  };
  if (kept.size >= credentialCapacity) kept.clear();
  kept.set(enrolledDeviceId, credential);
  return credential;
}

/**
 * A challenge for the device to sign, signed by the server instead of stored: issuing one writes
 * nothing. Only a device whose enrollment has not ended gets one.
 */
export async function issueChallenge(ctx: ServerContext, enrolledDeviceId: string) {
  if (await endedEnrollments(ctx).ended(enrolledDeviceId)) throw new DeviceNotEnrolledError();
  const issuedAtMs = ctx.now().getTime();
  const expiresAtMs = issuedAtMs + challengeLifetimeMs;
  const signer = await deviceCredentials(ctx);
  return {
    challenge: signer.challenge(enrolledDeviceId, issuedAtMs, expiresAtMs),
    expiresAt: new Date(expiresAtMs).toISOString(),
  };
}

/**
 * An access token for a signed assertion (RFC 7523), with what it says. The assertion must name
 * a challenge this server family signed for the same device, unexpired and newer than any the
 * device used before; the signature is checked before anything is written, so nobody but the
 * device moves its replay guard on. Accepting the challenge is the check-in's one write, and
 * notes the device as seen.
 */
async function grantAccess(
  ctx: ServerContext,
  assertion: string,
): Promise<{ answer: AccessTokenAnswer; device: ReadAccessToken }> {
  const read = readAssertion(assertion);
  if (!read.ok) throw new AssertionRefusedError(assertionProblems[read.problem]);
  const { claims } = read;
  const now = ctx.now().getTime();
  const nowSeconds = Math.floor(now / 1000);
  if (claims.iss !== claims.sub || !idPattern.test(claims.iss)) {
    throw new AssertionRefusedError(assertionProblems.notTheDevice);
  }
  if (!claims.aud.endsWith(tokenEndpointPath) && !claims.aud.endsWith(checkInPath)) {
    throw new AssertionRefusedError(assertionProblems.wrongAudience);
  }
  if (claims.exp <= nowSeconds || claims.exp - claims.iat > maximumAssertionLifetimeSeconds) {
    throw new AssertionRefusedError(assertionProblems.lifetime);
  }
  const signer = await deviceCredentials(ctx);
  const challenge = signer.readChallenge(claims.jti);
  if (challenge?.enrolledDeviceId !== claims.iss || challenge.expiresAtMs <= now) {
    throw new AssertionRefusedError(assertionProblems.challenge);
  }
  if (await endedEnrollments(ctx).ended(claims.iss)) throw new DeviceNotEnrolledError();
  const device = await credentialOf(ctx, claims.iss);
  if (!device) throw new DeviceNotEnrolledError();
  if (!read.verifyWith(device.publicKey)) {
    throw new AssertionRefusedError(assertionProblems.keyMismatch);
  }
  const at = ctx.now().toISOString();
  // Through the shared commit: a fleet checking in at once pays one disk sync per batch.
  const accepted = await ctx.database.transaction((trx) =>
    repo.acceptChallenge(trx, claims.iss, challenge.issuedAtMs, at),
  );
  if (!accepted) {
    throw new AssertionRefusedError(assertionProblems.challenge);
  }
  const content: ReadAccessToken = {
    enrolledDeviceId: claims.iss,
    organisationId: device.organisationId,
    deviceId: device.deviceId,
    expiresAtMs: now + accessTokenLifetimeSeconds * 1000,
  };
  return {
    answer: {
      access_token: signer.accessToken(content),
      token_type: 'Bearer' as const,
      expires_in: accessTokenLifetimeSeconds,
    },
    device: content,
  };
}

export async function issueAccessToken(
  ctx: ServerContext,
  assertion: string,
): Promise<AccessTokenAnswer> {
  return (await grantAccess(ctx, assertion)).answer;
}

/** The enrolled device a request acts as (routes declared `access: 'device'`). */
export interface DeviceCaller extends RequestInfo {
  kind: 'device';
  enrolledDeviceId: string;
  organisationId: string;
  deviceId: string;
}

/**
 * The device behind the request's access token, from the token alone: it is signed by the
 * server, and whether the enrollment ended is answered from memory while nothing ended.
 */
export async function deviceCallerFor(request: FastifyRequest): Promise<DeviceCaller> {
  const ctx = request.server.keyhold;
  const header = request.headers.authorization;
  const match =
    header === undefined
      ? null
      : /^Bearer (kha_[A-Za-z0-9_-]{20,400}\.[A-Za-z0-9_-]{43})$/.exec(header);
  if (!match?.[1]) {
    throw new UnauthenticatedError({
      en: 'Send an access token of an enrolled device (keyhold agent gets one by signing a challenge).',
      nb: 'Send en tilgangsnøkkel for en innrullert enhet (keyhold agent får en ved å signere en utfordring).',
    });
  }
  const token = (await deviceCredentials(ctx)).readAccessToken(match[1]);
  if (!token || token.expiresAtMs <= ctx.now().getTime()) throw new AccessTokenRefusedError();
  if (await endedEnrollments(ctx).ended(token.enrolledDeviceId)) {
    throw new DeviceNotEnrolledError();
  }
  return { kind: 'device', ...requestInfo(request), ...callerOfToken(token) };
}

function callerOfToken(token: ReadAccessToken) {
  return {
    enrolledDeviceId: token.enrolledDeviceId,
    organisationId: token.organisationId,
    deviceId: token.deviceId,
  };
}

/**
 * A check-in: with a signed assertion, an access token and the device's state in one answer;
 * with an access token still valid, the state alone. A device with nothing to do checks in with
 * one request and no write while its token lives.
 */
export async function checkIn(
  ctx: ServerContext,
  request: FastifyRequest,
  assertion: string | undefined,
): Promise<{ token?: AccessTokenAnswer; state: AgentState }> {
  if (assertion === undefined) {
    return { state: await agentState(ctx, await deviceCallerFor(request)) };
  }
  const granted = await grantAccess(ctx, assertion);
  return { token: granted.answer, state: await agentState(ctx, callerOfToken(granted.device)) };
}

function enrolledView(row: repo.EnrolledDeviceListRow, pendingRotations: number): EnrolledDevice {
  return {
    id: row.id,
    deviceId: row.device_id,
    deviceName: row.device_name,
    hostname: row.hostname,
    os: row.os,
    hardwareId: row.hardware_id,
    status: row.status,
    enrolledAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    retiredAt: row.retired_at,
    rotation: { pending: pendingRotations },
  };
}

function reading(caller: Caller, organisationId: string) {
  return authorize(caller, 'write', organisationLibrary(organisationId), things.organisation);
}

/** The organisation's enrolled devices, retired ones included (helpdesk and up). */
export async function listEnrolledDevices(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
): Promise<EnrolledDevice[]> {
  reading(caller, organisationId);
  const rows = await repo.listEnrolled(ctx.db, organisationId);
  return Promise.all(
    rows.map(async (row) =>
      enrolledView(row, (await keysToRotate(ctx.db, organisationId, row.device_id)).length),
    ),
  );
}

/** Retires an enrolled device: its credential and access tokens stop working; its keys stay. */
export async function retireDevice(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  enrolledDeviceId: string,
): Promise<EnrolledDevice> {
  authorize(caller, 'manage', organisationLibrary(organisationId), things.enrolledDevice);
  const row = idPattern.test(enrolledDeviceId)
    ? await repo.findEnrolled(ctx.db, organisationId, enrolledDeviceId)
    : undefined;
  if (!row) throw new NotFoundError(things.enrolledDevice);
  if (row.status === 'active') {
    await ctx.database.transaction(async (trx) => {
      await repo.endEnrollment(trx, row.id, 'retired', ctx.now().toISOString());
      await ctx.audit.record(trx, caller, {
        action: 'device_retired',
        organisationId,
        details: { enrolledDeviceId: row.id, deviceName: row.device_name, hostname: row.hostname },
      });
    });
  }
  const retired = await repo.findEnrolled(ctx.db, organisationId, enrolledDeviceId);
  if (!retired) throw new NotFoundError(things.enrolledDevice);
  return enrolledView(
    retired,
    (await keysToRotate(ctx.db, organisationId, retired.device_id)).length,
  );
}
