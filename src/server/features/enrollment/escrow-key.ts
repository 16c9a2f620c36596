import { escrowSealOpener, generateEscrowKeyPair } from '../../../crypto/escrow-seal.js';
import { isUniqueViolation } from '../../../db/errors.js';
import { organisationOwner } from '../../../db/owners.js';
import type { ServerContext } from '../../context.js';
import * as repo from './repo.js';

/**
 * Each organisation's escrow key pair (X25519): agents seal every recovery secret to its public
 * half before anything else happens to it; the private half is a sealed secret of the
 * organisation and never leaves the server.
 */

const escrowKeyKind = 'organisation_escrow_key';

function escrowKeyRef(organisationId: string) {
  return { kind: escrowKeyKind, boundId: organisationId, owner: organisationOwner(organisationId) };
}

/** The organisation's escrow public key (SPKI PEM), made the first time it is asked for. */
export async function escrowPublicKeyOf(
  ctx: ServerContext,
  organisationId: string,
): Promise<string> {
  const existing = await repo.escrowPublicKey(ctx.db, organisationId);
  if (existing) return existing.public_key;
  const pair = generateEscrowKeyPair();
  try {
    await ctx.database.transaction(async (trx) => {
      await repo.insertEscrowPublicKey(
        trx,
        organisationId,
        pair.publicKeyPem,
        ctx.now().toISOString(),
      );
      await ctx.secrets.create(trx, escrowKeyRef(organisationId), pair.privateKeyPem);
    });
  } catch (error) {
    // Another request made it first; theirs is the organisation's key.
    if (!isUniqueViolation(error)) throw error;
  }
  const made = await repo.escrowPublicKey(ctx.db, organisationId);
  if (!made) throw new Error(`the escrow key of organisation ${organisationId} was not stored`);
  return made.public_key;
}

type SealOpener = ReturnType<typeof escrowSealOpener>;

/**
 * Each organisation's opener, kept by the server that made it: parsing the private key costs
 * about a millisecond, which a fleet escrowing at once would pay on every request. An escrow key
 * pair is never replaced, so a kept opener never goes stale.
 */
const openers = new WeakMap<ServerContext, Map<string, SealOpener>>();

/**
 * Opens secrets one device sealed to the organisation's escrow key; undefined for any that do
 * not open.
 */
export async function escrowOpener(
  ctx: ServerContext,
  organisationId: string,
  enrolledDeviceId: string,
): Promise<(sealed: string) => string | undefined> {
  let ofServer = openers.get(ctx);
  if (!ofServer) {
    ofServer = new Map();
    openers.set(ctx, ofServer);
  }
  let opener = ofServer.get(organisationId);
  if (!opener) {
    const privateKeyPem = await ctx.secrets.getText(ctx.db, escrowKeyRef(organisationId));
    if (privateKeyPem === undefined) return () => undefined;
    opener = escrowSealOpener(privateKeyPem);
    ofServer.set(organisationId, opener);
  }
  const open = opener;
  return (sealed) => open(enrolledDeviceId, sealed);
}
