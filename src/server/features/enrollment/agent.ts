import { ProtectorIdError, parseProtectorId } from '../../../bitlocker/protector-id.js';
import { parseRecoveryPassword } from '../../../bitlocker/recovery-password.js';
import type { ServerContext } from '../../context.js';
import { DomainError, NotFoundError, ValidationError } from '../../errors.js';
import { escrowDeviceKeys, keysToRotate, type EscrowDrive, type EscrowKey } from '../keys/index.js';
import { parseLuksRecoveryPassphrase } from '../../../luks/recovery-passphrase.js';
import { libraryPolicies } from '../orgs/index.js';
import { escrowOpener, escrowPublicKeyOf } from './escrow-key.js';
import type { DeviceCaller } from './identity.js';
import * as repo from './repo.js';
import type { AgentState, EscrowAnswer, EscrowBody } from './schema.js';
import { fieldReasons, things } from '../../messages.js';

/**
 * What an enrolled device asks and tells: its state (the organisation's escrow key, its policy,
 * the keys to rotate) and the escrow of the keys of its drives. Every write carries a sequence
 * number above the last one accepted, so a replayed request changes nothing.
 */

/** Why a sealed secret is refused: it does not open with the organisation's escrow key. */
const notSealedHere = {
  en: 'not sealed to this organisation by this device',
  nb: 'ikke forseglet til denne organisasjonen av denne enheten',
};

class ReplayedRequestError extends DomainError {
  constructor(lastSequence: number) {
    super(
      409,
      'replayed_request',
      {
        en: `This request was already received (sequence numbers must grow; the last accepted is ${lastSequence}).`,
        nb: `Denne forespørselen er allerede mottatt (sekvensnumrene må øke; det siste godtatte er ${lastSequence}).`,
      },
      { lastSequence },
    );
  }
}

/** What a check-in tells of the organisation: changed only by a write to its row. */
interface OrganisationFacts {
  name: string;
  escrowPublicKey: string;
  ensureRecoveryPassword: boolean;
}

/**
 * Each organisation's facts, kept while the organisations table is unchanged (as the signed-in
 * state is: Database.changeStamp), so a fleet's check-ins do not read them again and again. The
 * escrow public key never changes once made.
 */
const organisationFactsOf = new WeakMap<
  ServerContext,
  Map<string, { stamp: string; facts: OrganisationFacts }>
>();

async function organisationFacts(
  ctx: ServerContext,
  organisationId: string,
): Promise<OrganisationFacts> {
  let kept = organisationFactsOf.get(ctx);
  if (!kept) {
    kept = new Map();
    organisationFactsOf.set(ctx, kept);
  }
  const stamp = ctx.database.changeStamp(['organisations']);
  const known = kept.get(organisationId);
  if (stamp !== undefined && known?.stamp === stamp) return known.facts;
  const facts = {
    name: (await repo.organisationName(ctx.db, organisationId))?.name ?? '',
    escrowPublicKey: await escrowPublicKeyOf(ctx, organisationId),
    ensureRecoveryPassword: (await libraryPolicies(ctx.db, organisationId)).ensureRecoveryPassword,
  };
  if (stamp !== undefined) kept.set(organisationId, { stamp, facts });
  return facts;
}

/** The device's state: what a check-in answers (one query, when the organisation is known). */
export async function agentState(
  ctx: ServerContext,
  device: Pick<DeviceCaller, 'enrolledDeviceId' | 'organisationId' | 'deviceId'>,
): Promise<AgentState> {
  const organisation = await organisationFacts(ctx, device.organisationId);
  const standing = await repo.deviceStanding(ctx.db, device.enrolledDeviceId);
  if (!standing) throw new NotFoundError(things.enrolledDevice);
  return {
    enrolledDeviceId: device.enrolledDeviceId,
    deviceName: standing.deviceName,
    organisation: { id: device.organisationId, name: organisation.name },
    escrowPublicKey: organisation.escrowPublicKey,
    lastSequence: standing.lastSequence,
    policy: { ensureRecoveryPassword: organisation.ensureRecoveryPassword },
    rotate: (await keysToRotate(ctx.db, device.organisationId, device.deviceId)).map((hex) => ({
      keyId: dashed(hex),
    })),
  };
}

function unsealedDrives(
  body: EscrowBody,
  open: (sealed: string) => string | undefined,
): EscrowDrive[] {
  return body.drives.map((drive, driveIndex) => ({
    label: drive.label,
    type: drive.type,
    volumeGuid: drive.volumeGuid,
    protectorTypes: drive.protectorTypes,
    keys: drive.keys.map((key, keyIndex) => {
      const field = `drives.${driveIndex}.keys.${keyIndex}`;
      let protectorId;
      try {
        protectorId = parseProtectorId(key.keyId);
      } catch (error) {
        if (!(error instanceof ProtectorIdError)) throw error;
        throw new ValidationError(error.wording, [
          { field: `${field}.keyId`, reason: fieldReasons.notAKeyId },
        ]);
      }
      const secret = open(key.sealedSecret);
      if (key.luksSlot !== undefined) {
        return luksKey(protectorId, secret, drive.volumeGuid, key.luksSlot, field, driveIndex);
      }
      const parsed = secret === undefined ? undefined : parseRecoveryPassword(secret);
      if (!parsed?.valid) {
        throw new ValidationError(
          {
            en: `The recovery password of ${protectorId} is not sealed to the organisation's escrow key by this device, or is not a recovery password: enroll the device again to get the current key.`,
            nb: `Gjenopprettingspassordet til ${protectorId} er ikke forseglet til organisasjonens depotnøkkel av denne enheten, eller er ikke et gjenopprettingspassord: rull inn enheten på nytt for å få gjeldende nøkkel.`,
          },
          [{ field: `${field}.sealedSecret`, reason: notSealedHere }],
        );
      }
      return { protectorHex: protectorId.replaceAll('-', ''), recoveryPassword: parsed.normalized };
    }),
  }));
}

/**
 * A key of a LUKS volume: the drive's volume GUID is its LUKS UUID, the secret a recovery
 * passphrase in Keyhold's grouped form.
 */
function luksKey(
  protectorId: string,
  secret: string | undefined,
  volumeGuid: string | null,
  slot: number,
  field: string,
  driveIndex: number,
): EscrowKey {
  let uuidHex: string | undefined;
  try {
    uuidHex = volumeGuid === null ? undefined : parseProtectorId(volumeGuid).replaceAll('-', '');
  } catch (error) {
    if (!(error instanceof ProtectorIdError)) throw error;
  }
  if (uuidHex === undefined) {
    throw new ValidationError(
      {
        en: `The drive of LUKS key ${protectorId} names no LUKS UUID: send the volume's UUID (cryptsetup luksUUID) as its volumeGuid.`,
        nb: `Stasjonen til LUKS-nøkkelen ${protectorId} oppgir ingen LUKS-UUID: send volumets UUID (cryptsetup luksUUID) som volumeGuid.`,
      },
      [
        {
          field: `drives.${driveIndex}.volumeGuid`,
          reason: { en: 'not a LUKS UUID', nb: 'ikke en LUKS-UUID' },
        },
      ],
    );
  }
  const passphrase = secret === undefined ? undefined : parseLuksRecoveryPassphrase(secret);
  if (passphrase === undefined) {
    throw new ValidationError(
      {
        en: `The recovery passphrase of LUKS key ${protectorId} is not sealed to the organisation's escrow key by this device, or is not 8 groups of 5 digits: enroll the device again to get the current key.`,
        nb: `Gjenopprettingspassfrasen til LUKS-nøkkelen ${protectorId} er ikke forseglet til organisasjonens depotnøkkel av denne enheten, eller er ikke 8 grupper med 5 sifre: rull inn enheten på nytt for å få gjeldende nøkkel.`,
      },
      [{ field: `${field}.sealedSecret`, reason: notSealedHere }],
    );
  }
  return {
    protectorHex: protectorId.replaceAll('-', ''),
    recoveryPassword: passphrase,
    luks: { uuidHex, slot },
  };
}

function dashed(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Stores what the device reported. The answer comes after the commit: a key listed as stored is
 * in the library, and only then may the agent remove a protector it replaces.
 */
export async function escrow(
  ctx: ServerContext,
  device: DeviceCaller,
  body: EscrowBody,
): Promise<EscrowAnswer> {
  const open = await escrowOpener(ctx, device.organisationId, device.enrolledDeviceId);
  const drives = unsealedDrives(body, open);
  const deviceName = (await repo.deviceStanding(ctx.db, device.enrolledDeviceId))?.deviceName ?? '';
  const outcomes = await ctx.database.transaction(async (trx) => {
    if (!(await repo.advanceSequence(trx, device.enrolledDeviceId, body.sequence))) {
      return undefined;
    }
    const stored = await escrowDeviceKeys(
      ctx,
      trx,
      {
        organisationId: device.organisationId,
        deviceId: device.deviceId,
        source: `keyhold agent on ${deviceName}`,
      },
      drives,
    );
    const created = stored.filter((key) => key.outcome === 'created');
    if (created.length > 0) {
      await ctx.audit.record(
        trx,
        { accountId: null, ipAddress: device.ipAddress, userAgent: device.userAgent },
        {
          action: 'keys_escrowed',
          organisationId: device.organisationId,
          details: {
            enrolledDeviceId: device.enrolledDeviceId,
            deviceName,
            keyIds: created.map((key) => dashed(key.protectorHex)),
          },
        },
      );
    }
    return stored;
  });
  if (!outcomes) {
    const current = await repo.deviceStanding(ctx.db, device.enrolledDeviceId);
    throw new ReplayedRequestError(current?.lastSequence ?? body.sequence);
  }
  const conflicts = outcomes.filter((key) => key.outcome === 'conflict');
  if (conflicts.length > 0) {
    // The rest was stored; the agent hears which keys the library holds differently.
    throw new DomainError(
      409,
      'key_conflict',
      {
        en: `The library holds a different recovery password under ${conflicts.map((key) => dashed(key.protectorHex)).join(', ')}; an administrator must look at it.`,
        nb: `Biblioteket har et annet gjenopprettingspassord under ${conflicts.map((key) => dashed(key.protectorHex)).join(', ')}; en administrator må se på det.`,
      },
      { keyIds: conflicts.map((key) => dashed(key.protectorHex)) },
    );
  }
  return {
    stored: outcomes.map((key) => ({
      keyId: dashed(key.protectorHex),
      outcome: key.outcome === 'created' ? 'created' : 'unchanged',
    })),
    confirmedRotations: [],
    sequence: body.sequence,
  };
}
