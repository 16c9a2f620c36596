import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sessionCallerOf } from '../../caller.js';
import { relyingPartyOf } from '../auth/index.js';
import { unlockBody, vaultResponse, vaultStatusResponse } from './schema.js';
import { vaultContents } from './contents.js';
import * as vault from './service.js';

const tags = ['Vault'];

export function vaultRoutes(app: FastifyInstance): void {
  const ctx = app.keyhold;
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get(
    '/api/v1/vault',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Whether the vault is open, and what is in it (names only while locked)',
        response: { 200: vaultResponse },
      },
    },
    (request) => vaultContents(ctx, sessionCallerOf(request)),
  );

  routes.post(
    '/api/v1/vault/unlock',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary:
          'Open the vault with a passkey or the authenticator code (or the password without one)',
        body: unlockBody,
        response: { 200: vaultStatusResponse },
      },
    },
    (request) => {
      const { passkey, ...codes } = request.body;
      return vault.unlockVault(ctx, sessionCallerOf(request), {
        ...codes,
        passkey: passkey && { response: passkey, relyingParty: relyingPartyOf(request) },
      });
    },
  );

  routes.post(
    '/api/v1/vault/lock',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Lock the vault now',
        response: { 200: vaultStatusResponse },
      },
    },
    (request) => vault.lockVault(ctx, sessionCallerOf(request)),
  );
}
