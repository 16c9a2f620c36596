import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { callerOf, requireAccount } from '../../caller.js';
import { unlockBody, vaultResponse, vaultStatusResponse } from './schema.js';
import { vaultContents } from './contents.js';
import * as vault from './service.js';

const tags = ['Vault'];
const security = [{ browserCookie: [] }];

export function vaultRoutes(app: FastifyInstance): void {
  const ctx = app.keyhold;
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get(
    '/api/v1/vault',
    {
      preHandler: requireAccount,
      schema: {
        tags,
        security,
        summary: 'Whether the vault is open, and what is in it (names only while locked)',
        response: { 200: vaultResponse },
      },
    },
    (request) => vaultContents(ctx, callerOf(request)),
  );

  routes.post(
    '/api/v1/vault/unlock',
    {
      preHandler: requireAccount,
      schema: {
        tags,
        security,
        summary: 'Open the vault with the authenticator code (or the password without one)',
        body: unlockBody,
        response: { 200: vaultStatusResponse },
      },
    },
    (request) => vault.unlockVault(ctx, callerOf(request), request.body),
  );

  routes.post(
    '/api/v1/vault/lock',
    {
      preHandler: requireAccount,
      schema: {
        tags,
        security,
        summary: 'Lock the vault now',
        response: { 200: vaultStatusResponse },
      },
    },
    (request) => vault.lockVault(ctx, callerOf(request)),
  );
}
