import { isIPv4 } from 'node:net';
import { CliError, ExitCode } from '../output.js';
import type { StoredCredential } from './credentials.js';
import { say, terminalLanguage } from '../../text/terminal-language.js';
import { accountMessages } from './messages.js';

/** The server answered with an error body (`{"error":{"code","message"}}`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The server could not be reached at all (refused, no TLS, timed out): exit 3. */
export class ServerUnreachableError extends CliError {
  constructor(
    message: string,
    /** Why, in a word or two: `ECONNREFUSED`, `no answer within 30 seconds`. */
    readonly reason: string,
  ) {
    super(message, ExitCode.environment);
    this.name = 'ServerUnreachableError';
  }
}

const requestTimeoutMs = 30_000;
const userAgent = `keyhold/0.1.0 (${process.platform}; node ${process.versions.node})`;

/**
 * `localhost`, `[::1]` or an IPv4 address in 127.0.0.0/8, as the URL parser leaves a host name
 * (IPv4 in dotted decimal, whatever form was typed). A name that merely starts with "127."
 * (`127.evil.example`) is resolved by DNS and can point anywhere.
 */
export function isThisComputer(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  return isIPv4(hostname) && hostname.startsWith('127.');
}

/** Whether the address was typed with its scheme (`http://...`); without one, https is tried. */
export function hasScheme(input: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(input);
}

/**
 * Turns what a person typed (`keys.example.org`, `http://localhost:8080/`) into the server's
 * origin. Tokens travel in every request, so plain HTTP is refused except on this computer.
 */
export function serverOrigin(input: string): string {
  const withScheme = hasScheme(input) ? input : `https://${input}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(say(accountMessages.notAServerAddress(input)));
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CliError(say(accountMessages.notAServerAddress(input)));
  }
  if (url.protocol === 'http:' && !isThisComputer(url.hostname)) {
    throw new CliError(say(accountMessages.plainHttpRefused(url.host)));
  }
  return url.origin;
}

function networkFailure(origin: string, error: unknown): ServerUnreachableError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason =
    (error as Error).name === 'TimeoutError'
      ? say(accountMessages.noAnswerWithin(requestTimeoutMs / 1000))
      : (cause?.code ?? cause?.message ?? (error as Error).message);
  return new ServerUnreachableError(say(accountMessages.unreachable(origin, reason)), reason);
}

function errorFromBody(status: number, body: unknown): ApiError {
  const error = (body as { error?: unknown } | null)?.error;
  if (typeof error === 'object' && error !== null) {
    const { code, message, details } = error as Record<string, unknown>;
    return new ApiError(
      status,
      typeof code === 'string' ? code : 'unknown',
      typeof message === 'string' ? message : say(accountMessages.serverAnswered(status)),
      details,
    );
  }
  // RFC 6749/8628 errors: {"error":"authorization_pending","error_description":"..."}.
  if (typeof error === 'string') {
    const description = (body as { error_description?: unknown }).error_description;
    return new ApiError(
      status,
      error,
      typeof description === 'string' ? description : error.replaceAll('_', ' '),
    );
  }
  return new ApiError(status, 'unknown', say(accountMessages.serverAnswered(status)));
}

export interface RequestOptions {
  body?: unknown;
  /** Without a token the request is anonymous (device authorization). */
  token?: string;
}

/** A small JSON client for the Keyhold API at one server. */
export class KeyholdApi {
  constructor(
    readonly origin: string,
    private readonly token?: string,
  ) {}

  static forCredential(credential: StoredCredential): KeyholdApi {
    return new KeyholdApi(credential.server, credential.token);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      // The server words its refusals, which are printed as they come, in this language.
      'accept-language': terminalLanguage(),
      'user-agent': userAgent,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await fetch(new URL(path, this.origin), {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        redirect: 'error',
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch (error) {
      throw networkFailure(this.origin, error);
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new CliError(
          say(accountMessages.notKeyhold(this.origin, response.status)),
          ExitCode.environment,
        );
      }
    }
    if (!response.ok) throw errorFromBody(response.status, parsed);
    return parsed as T;
  }
}

/** What to tell the person when a stored login no longer works. */
export function loginProblem(credential: StoredCredential, error: ApiError): CliError {
  if (error.status === 401) {
    return new CliError(
      say(accountMessages.loginGone(credential.email, credential.server)),
      ExitCode.environment,
    );
  }
  return new CliError(`${credential.server}: ${error.message}`, ExitCode.environment);
}
