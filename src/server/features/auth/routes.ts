import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  setBrowserCookie,
  setSsoBinding,
  ssoBindingOf,
  ssoRedirectUri,
} from '../../browser-cookie.js';
import { randomToken } from '../../../crypto/tokens.js';
import { sessionCallerOf } from '../../caller.js';
import { requestInfo } from '../../request-info.js';
import type { ServerContext } from '../../context.js';
import { requestLanguage } from '../../messages.js';
import {
  accountResponse,
  accountsResponse,
  changePasswordBody,
  changePasswordResponse,
  identifyBody,
  identifyResponse,
  idParam,
  meResponse,
  passwordBody,
  recoveryCodesResponse,
  revokedResponse,
  secondFactorBody,
  sessionResponse,
  sessionsResponse,
  signedInResponse,
  signinBody,
  signinResponse,
  signoutBody,
  signupBody,
  totpConfirmBody,
  totpConfirmResponse,
  totpEnrolResponse,
  updateMeBody,
  addPasskeyBody,
  passkeyOptionsBody,
  passkeyOptionsResponse,
  passkeyResponse,
  passkeySigninBody,
  passkeysResponse,
  renamePasskeyBody,
} from './schema.js';
import {
  finishPasskeyRegistration,
  listPasskeys,
  relyingPartyOf,
  removePasskey,
  renamePasskey,
  startPasskeyAssertion,
  startPasskeyRegistration,
} from './passkeys.js';
import { changePassword } from './password-change.js';
import { me, updateMe } from './profile.js';
import { regenerateRecoveryCodes } from './recovery-code-sets.js';
import {
  browserAccounts,
  forgetAccount,
  getSession,
  listSessions,
  revokeOtherSessions,
  revokeSession,
  signout,
} from './sessions.js';
import {
  type SignedIn,
  identify,
  signin,
  signinSecondFactor,
  signinWithPasskey,
  signup,
  startPasskeySecondFactor,
  startPasskeySignin,
} from './signin.js';
import { confirmTotp, disableTotp, startTotpEnrolment } from './totp-enrolment.js';

const tags = ['Authentication'];

/** The browser gets its new token as the cookie; the body never carries it. */
function signedIn(reply: FastifyReply, ctx: ServerContext, result: SignedIn) {
  setBrowserCookie(reply, ctx.config, result.browserToken);
  return { status: result.status, account: result.account, csrfToken: result.csrfToken };
}

export function authRoutes(app: FastifyInstance): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const ctx = app.keyhold;

  routes.post(
    '/api/v1/auth/signup',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Create an account and sign it in to this browser',
        body: signupBody,
        response: { 201: signedInResponse },
      },
    },
    async (request, reply) => {
      const result = await signup(ctx, request.browser, requestInfo(request), request.body);
      return reply.status(201).send(signedIn(reply, ctx, result));
    },
  );

  routes.post(
    '/api/v1/auth/identify',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary:
          "First step of sign-in: greet the person and offer sign-in methods; an address of an organisation with its own provider gets that provider's authorization URL",
        body: identifyBody,
        response: { 200: identifyResponse },
      },
    },
    async (request, reply) => {
      const browserBinding = ssoBindingOf(request) ?? randomToken();
      const identified = await identify(ctx, request.browser, requestInfo(request), request.body, {
        browserBinding,
        redirectUri: ssoRedirectUri(request, ctx.config),
      });
      if (identified.sso) setSsoBinding(reply, ctx.config, browserBinding);
      return identified;
    },
  );

  routes.post(
    '/api/v1/auth/signin',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Sign in with email and password',
        body: signinBody,
        response: { 200: signinResponse },
      },
    },
    async (request, reply) => {
      const result = await signin(ctx, request.browser, requestInfo(request), request.body);
      return result.status === 'signed_in' ? signedIn(reply, ctx, result) : result;
    },
  );

  routes.post(
    '/api/v1/auth/signin/second-factor',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Finish sign-in with a TOTP code, a recovery code or a passkey',
        body: secondFactorBody,
        response: { 200: signedInResponse },
      },
    },
    async (request, reply) => {
      const result = await signinSecondFactor(
        ctx,
        request.browser,
        requestInfo(request),
        relyingPartyOf(request),
        request.body,
      );
      return signedIn(reply, ctx, result);
    },
  );

  routes.post(
    '/api/v1/auth/signout',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary:
          'Sign the selected account out of this browser, or everywhere (every session and device token), or all accounts',
        body: signoutBody,
        response: { 200: accountsResponse },
      },
    },
    async (request) => {
      await signout(ctx, sessionCallerOf(request), request.body ?? {});
      return {
        accounts: await browserAccounts(ctx, request.browser),
        csrfToken: request.browser?.csrfToken ?? null,
      };
    },
  );

  routes.get(
    '/api/v1/auth/accounts',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: "This browser's accounts, for the account picker, and its CSRF token",
        response: { 200: accountsResponse },
      },
    },
    async (request) => ({
      accounts: await browserAccounts(ctx, request.browser),
      csrfToken: request.browser?.csrfToken ?? null,
    }),
  );

  routes.delete(
    '/api/v1/auth/accounts/:accountId',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: "Remove an account from this browser's picker (signing it out here)",
        params: z.object({ accountId: idParam }),
        response: { 200: accountsResponse },
      },
    },
    async (request) => {
      await forgetAccount(ctx, request.browser, requestInfo(request), request.params.accountId);
      return {
        accounts: await browserAccounts(ctx, request.browser),
        csrfToken: request.browser?.csrfToken ?? null,
      };
    },
  );

  routes.get(
    '/api/v1/auth/me',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'The selected account and its organisations',
        response: { 200: meResponse },
      },
    },
    (request) => me(ctx, sessionCallerOf(request)),
  );

  routes.patch(
    '/api/v1/auth/me',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Change the display name',
        body: updateMeBody,
        response: { 200: meResponse },
      },
    },
    (request) => updateMe(ctx, sessionCallerOf(request), request.body),
  );

  routes.get(
    '/api/v1/auth/sessions',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: "The selected account's sessions on every device",
        response: { 200: sessionsResponse },
      },
    },
    async (request) => ({
      sessions: await listSessions(ctx, sessionCallerOf(request), requestLanguage(request)),
    }),
  );

  routes.get(
    '/api/v1/auth/sessions/:id',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'One live session of the selected account',
        params: z.object({ id: idParam }),
        response: { 200: sessionResponse },
      },
    },
    async (request) => ({
      session: await getSession(
        ctx,
        sessionCallerOf(request),
        request.params.id,
        requestLanguage(request),
      ),
    }),
  );

  routes.delete(
    '/api/v1/auth/sessions/:id',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'End one session of the selected account',
        params: z.object({ id: idParam }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await revokeSession(ctx, sessionCallerOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  routes.delete(
    '/api/v1/auth/sessions',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'End every other session and every device token (keyhold login) of the account',
        response: { 200: revokedResponse },
      },
    },
    (request) => revokeOtherSessions(ctx, sessionCallerOf(request)),
  );

  routes.post(
    '/api/v1/auth/password',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Change the password; ends every other session',
        body: changePasswordBody,
        response: { 200: changePasswordResponse },
      },
    },
    async (request) => ({
      revokedSessions: await changePassword(ctx, sessionCallerOf(request), request.body),
    }),
  );

  routes.post(
    '/api/v1/auth/totp/enrol',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Start TOTP enrolment: a new secret to add to an authenticator app',
        body: passwordBody,
        response: { 200: totpEnrolResponse },
      },
    },
    (request) => startTotpEnrolment(ctx, sessionCallerOf(request), request.body),
  );

  routes.post(
    '/api/v1/auth/totp/confirm',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Turn TOTP on with a first code; returns one-time recovery codes',
        body: totpConfirmBody,
        response: { 200: totpConfirmResponse },
      },
    },
    (request) => confirmTotp(ctx, sessionCallerOf(request), request.body),
  );

  routes.post(
    '/api/v1/auth/totp/disable',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Turn TOTP off (and delete the recovery codes)',
        body: passwordBody,
        response: { 200: accountResponse },
      },
    },
    async (request) => ({
      account: await disableTotp(ctx, sessionCallerOf(request), request.body),
    }),
  );

  routes.post(
    '/api/v1/auth/recovery-codes',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Replace the recovery codes with new ones',
        body: passwordBody,
        response: { 200: recoveryCodesResponse },
      },
    },
    async (request) => ({
      recoveryCodes: await regenerateRecoveryCodes(ctx, sessionCallerOf(request), request.body),
    }),
  );

  routes.post(
    '/api/v1/auth/signin/passkey-options',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary:
          'WebAuthn options to sign in with a passkey alone, or (with the challenge of a sign-in waiting for its second factor) to use one as the second factor',
        body: passkeyOptionsBody,
        response: { 200: passkeyOptionsResponse },
      },
    },
    async (request) => {
      const rp = relyingPartyOf(request);
      const { challenge } = request.body;
      const options =
        challenge === undefined
          ? await startPasskeySignin(ctx, rp, requestInfo(request))
          : await startPasskeySecondFactor(ctx, rp, requestInfo(request), { challenge });
      return { options };
    },
  );

  routes.post(
    '/api/v1/auth/signin/passkey',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Sign in without a password, with a passkey that verified its user',
        body: passkeySigninBody,
        response: { 200: signedInResponse },
      },
    },
    async (request, reply) => {
      const result = await signinWithPasskey(
        ctx,
        request.browser,
        requestInfo(request),
        relyingPartyOf(request),
        request.body,
      );
      return signedIn(reply, ctx, result);
    },
  );

  routes.get(
    '/api/v1/auth/passkeys',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: "The selected account's passkeys",
        response: { 200: passkeysResponse },
      },
    },
    async (request) => ({ passkeys: await listPasskeys(ctx, sessionCallerOf(request)) }),
  );

  routes.post(
    '/api/v1/auth/passkeys/registration-options',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Start adding a passkey (needs the password): WebAuthn creation options',
        body: passwordBody,
        response: { 200: passkeyOptionsResponse },
      },
    },
    async (request) => ({
      options: await startPasskeyRegistration(
        ctx,
        sessionCallerOf(request),
        relyingPartyOf(request),
        request.body,
      ),
    }),
  );

  routes.post(
    '/api/v1/auth/passkeys',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Finish adding a passkey with what the authenticator answered',
        body: addPasskeyBody,
        response: { 201: passkeyResponse },
      },
    },
    async (request, reply) => {
      const passkey = await finishPasskeyRegistration(
        ctx,
        sessionCallerOf(request),
        relyingPartyOf(request),
        request.body,
      );
      return reply.status(201).send({ passkey });
    },
  );

  routes.patch(
    '/api/v1/auth/passkeys/:id',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Rename a passkey',
        params: z.object({ id: idParam }),
        body: renamePasskeyBody,
        response: { 200: passkeyResponse },
      },
    },
    async (request) => ({
      passkey: await renamePasskey(
        ctx,
        sessionCallerOf(request),
        request.params.id,
        request.body.name,
      ),
    }),
  );

  routes.delete(
    '/api/v1/auth/passkeys/:id',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Remove a passkey',
        params: z.object({ id: idParam }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await removePasskey(ctx, sessionCallerOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  routes.post(
    '/api/v1/auth/passkeys/presence-options',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary:
          "WebAuthn options to confirm presence (vault unlock) with one of the account's passkeys",
        response: { 200: passkeyOptionsResponse },
      },
    },
    async (request) => {
      const caller = sessionCallerOf(request);
      return {
        options: await startPasskeyAssertion(ctx, relyingPartyOf(request), {
          purpose: 'presence',
          userId: caller.accountId,
          ipAddress: caller.ipAddress,
        }),
      };
    },
  );
}
