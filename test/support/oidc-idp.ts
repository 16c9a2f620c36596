import { createServer, type IncomingMessage, type Server } from 'node:http';
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Provider, { type KoaContext } from 'oidc-provider';

/** A person with an account at the test identity provider. */
export interface IdpPerson {
  email: string;
  password: string;
  name: string;
  groups?: string[];
  emailVerified?: boolean;
}

/**
 * A real OpenID provider (oidc-provider) on a port of its own, playing an organisation's
 * identity provider: one confidential client for Keyhold, PKCE required, and a sign-in page
 * (email and password) for the people added with `addPerson`. Tests can make it misbehave the
 * way a broken or hostile provider would: shorten its codes' life, or change claims of the ID
 * tokens it issues (signed again with its own key, so only the claim check can catch it).
 */
export class TestIdentityProvider {
  readonly clientId = `keyhold-${randomBytes(4).toString('hex')}`;
  readonly clientSecret = randomBytes(24).toString('base64url');
  /** Seconds an authorization code lives. */
  codeTtlSeconds = 60;
  /** Applied to every ID token's claims before it leaves the token endpoint. */
  changeIdToken: ((claims: Record<string, unknown>) => Record<string, unknown>) | undefined;

  private readonly people = new Map<string, IdpPerson>();

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    private readonly signingKey: KeyObject,
    private readonly keyId: string,
  ) {}

  static async start(redirectUris: string[]): Promise<TestIdentityProvider> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyId = randomBytes(6).toString('hex');
    const idp = new TestIdentityProvider(server, `http://127.0.0.1:${port}`, privateKey, keyId);
    const provider = idp.provider(redirectUris);
    server.on('request', provider.callback());
    return idp;
  }

  addPerson(person: IdpPerson): void {
    this.people.set(person.email.toLowerCase(), person);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }

  private provider(redirectUris: string[]): Provider {
    const provider = new Provider(this.issuer, {
      clients: [
        {
          client_id: this.clientId,
          client_secret: this.clientSecret,
          redirect_uris: redirectUris,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      jwks: {
        keys: [
          {
            ...this.signingKey.export({ format: 'jwk' }),
            kid: this.keyId,
            alg: 'RS256',
            use: 'sig',
          },
        ],
      },
      cookies: { keys: [randomBytes(16).toString('hex')] },
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['name', 'groups'],
      },
      // Like many company providers, the ID token itself carries the email and groups.
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: false } },
      pkce: { required: () => true },
      ttl: {
        AuthorizationCode: () => this.codeTtlSeconds,
        IdToken: 3600,
        AccessToken: 3600,
        Session: 3600,
        Interaction: 3600,
        Grant: 3600,
      },
      findAccount: (_ctx: unknown, sub: string) => {
        const person = this.people.get(sub);
        if (!person) return undefined;
        return {
          accountId: sub,
          claims: () => ({
            sub,
            email: person.email,
            email_verified: person.emailVerified ?? true,
            name: person.name,
            ...(person.groups ? { groups: person.groups } : {}),
          }),
        };
      },
      // Keyhold is this organisation's own application: no consent screen.
      loadExistingGrant: async (ctx: KoaContext) => {
        const grant = new ctx.oidc.provider.Grant({
          clientId: ctx.oidc.client.clientId,
          accountId: ctx.oidc.session.accountId,
        });
        grant.addOIDCScope('openid email profile');
        await grant.save();
        return grant;
      },
    });
    provider.use((ctx, next) => this.interaction(provider, ctx, next));
    provider.use(async (ctx, next) => {
      await next();
      const body = ctx.body as { id_token?: unknown } | undefined;
      if (ctx.path === '/token' && this.changeIdToken && typeof body?.id_token === 'string') {
        ctx.body = { ...body, id_token: this.resign(body.id_token, this.changeIdToken) };
      }
    });
    return provider;
  }

  /** The sign-in page: an email and password form, prefilled with the login hint. */
  private async interaction(provider: Provider, ctx: KoaContext, next: () => Promise<void>) {
    if (!/^\/interaction\/[\w-]+$/.test(ctx.path)) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (ctx.method === 'GET') {
      const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : '';
      ctx.type = 'html';
      ctx.body = signInPage(ctx.path, hint, false);
      return;
    }
    const form = new URLSearchParams(await readBody(ctx.req));
    const email = (form.get('email') ?? '').toLowerCase();
    const person = this.people.get(email);
    if (person?.password !== form.get('password')) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = signInPage(ctx.path, email, true);
      return;
    }
    const returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { login: { accountId: email } },
      { mergeWithLastSubmission: false },
    );
    ctx.status = 303;
    ctx.redirect(returnTo);
  }

  private resign(
    token: string,
    change: (claims: Record<string, unknown>) => Record<string, unknown>,
  ): string {
    const [header = '', payload = ''] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const signed = `${header}.${Buffer.from(JSON.stringify(change(claims))).toString('base64url')}`;
    const signature = sign('sha256', Buffer.from(signed), this.signingKey).toString('base64url');
    return `${signed}.${signature}`;
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => {
      resolve(text);
    });
    request.on('error', reject);
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function signInPage(action: string, email: string, failed: boolean): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme sign-in</title></head>
<body><main><h1>Acme sign-in</h1>${failed ? '<p role="alert">Wrong email or password.</p>' : ''}
<form method="post" action="${escapeHtml(action)}">
<label>Email <input name="email" type="email" value="${escapeHtml(email)}"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button></form></main></body></html>`;
}

/**
 * Walks a browser's way through the provider without a browser: follows the authorization URL
 * to the sign-in page, signs in as `email`, and follows redirects until the provider sends the
 * person back to Keyhold. Returns the query string Keyhold's sign-in page would receive.
 */
export async function signInAtProvider(
  authorizationUrl: string,
  email: string,
  password: string,
): Promise<string> {
  const cookies = new Map<string, string>();
  const send = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string> | undefined),
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
      },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return response;
  };
  let url = authorizationUrl;
  for (let hops = 0; hops < 10; hops++) {
    const response = await send(url);
    const location = response.headers.get('location');
    if (location === null) {
      if (!url.includes('/interaction/')) {
        throw new Error(
          `the provider stopped at ${url}: ${response.status} ${await response.text()}`,
        );
      }
      const signedIn = await send(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email, password }).toString(),
      });
      const next = signedIn.headers.get('location');
      if (next === null) throw new Error(`sign-in at the provider failed: ${signedIn.status}`);
      url = new URL(next, url).href;
      continue;
    }
    const target = new URL(location, url);
    if (!target.href.startsWith(new URL(authorizationUrl).origin)) return target.search;
    url = target.href;
  }
  throw new Error('the provider redirected too often');
}
