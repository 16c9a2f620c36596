import { randomUUID } from 'node:crypto';
import type {
  AgentState,
  ChallengeAnswer,
  CheckInAnswer,
  EnrollAnswer,
  EnrollBody,
  EscrowAnswer,
  EscrowBody,
} from '../../api/enrollment.js';
import { jwtBearerAssertionType, signAssertion } from '../../crypto/device-assertion.js';
import { say, terminalLanguage } from '../../text/terminal-language.js';
import { agentMessages } from './messages.js';

/**
 * The agent's side of the API: enrollment, a signed challenge for each run's access token, the
 * device's state and escrow. Every failure is either `ServerUnreachableError` (try again later;
 * nothing is lost) or `ServerRefusedError` (the server's own words, in the terminal's language).
 */

export class ServerUnreachableError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ServerUnreachableError';
  }
}

export class ServerRefusedError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ServerRefusedError';
  }
}

const requestTimeoutMs = 30_000;
const checkInPath = '/api/v1/agent/check-in';
/** An access token this close to its end is not used: a new one is asked for instead. */
const tokenMarginMs = 60_000;

async function call<T>(
  server: string,
  method: 'GET' | 'POST',
  path: string,
  { body, accessToken }: { body?: unknown; accessToken?: string } = {},
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(new URL(path, server), {
      method,
      headers: {
        accept: 'application/json',
        'accept-language': terminalLanguage() === 'nb' ? 'nb' : 'en',
        'user-agent': `keyhold-agent (${process.platform})`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new ServerUnreachableError(cause?.code ?? cause?.message ?? (error as Error).message);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (response.status >= 500 || (response.ok && parsed === null)) {
    throw new ServerUnreachableError(`HTTP ${response.status}`);
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ServerRefusedError(
      response.status,
      error?.code ?? 'unknown',
      error?.message ?? `HTTP ${response.status}`,
    );
  }
  return parsed as T;
}

export function enrollDevice(server: string, body: EnrollBody): Promise<EnrollAnswer> {
  return call(server, 'POST', '/api/v1/agent/enroll', { body });
}

/** An access token and when it stops working (ms since the epoch, by this computer's clock). */
export interface HeldAccessToken {
  token: string;
  expiresAtMs: number;
}

/**
 * A check-in: with an access token still valid, one request; otherwise a fresh challenge, signed
 * (RFC 7523 client assertion), sent with the check-in, which answers with a new access token too.
 * An access token the server no longer takes (it expired early by the server's clock) is
 * replaced the same way.
 */
export async function checkIn(
  server: string,
  enrolledDeviceId: string,
  privateKeyPem: string,
  held: HeldAccessToken | undefined,
): Promise<{ accessToken: HeldAccessToken; state: AgentState }> {
  if (held && held.expiresAtMs - Date.now() > tokenMarginMs) {
    try {
      const answer = await call<CheckInAnswer>(server, 'POST', checkInPath, {
        body: {},
        accessToken: held.token,
      });
      return { accessToken: held, state: answer.state };
    } catch (error) {
      if (!(error instanceof ServerRefusedError) || error.code !== 'invalid_token') throw error;
    }
  }
  const { challenge } = await call<ChallengeAnswer>(server, 'POST', '/api/v1/agent/challenge', {
    body: { enrolledDeviceId },
  });
  const now = Math.floor(Date.now() / 1000);
  const assertion = signAssertion(privateKeyPem, {
    iss: enrolledDeviceId,
    sub: enrolledDeviceId,
    aud: new URL(checkInPath, server).toString(),
    jti: challenge,
    iat: now,
    exp: now + 120,
  });
  const answer = await call<CheckInAnswer>(server, 'POST', checkInPath, {
    body: { client_assertion_type: jwtBearerAssertionType, client_assertion: assertion },
  });
  if (!answer.token) throw new ServerUnreachableError(say(agentMessages.noAccessToken));
  return {
    accessToken: {
      token: answer.token.access_token,
      expiresAtMs: Date.now() + answer.token.expires_in * 1000,
    },
    state: answer.state,
  };
}

export function sendEscrow(
  server: string,
  accessToken: string,
  body: EscrowBody,
): Promise<EscrowAnswer> {
  return call(server, 'POST', '/api/v1/agent/escrow', { body, accessToken });
}

/** A stable identifier of this machine for a hardware id where the OS offers none. */
export function fallbackHardwareId(): string {
  return randomUUID();
}
