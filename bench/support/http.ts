/**
 * JSON over HTTP for the benches' own requests (not the measured load, see load.ts): node:http
 * rather than fetch, because fetch gives up waiting for an answer after five minutes (a large
 * import takes longer on a busy machine) and cannot share a keep-alive agent sized by the caller.
 */
import { request, type Agent } from 'node:http';

export interface JsonAnswer<T> {
  status: number;
  body: T;
  /** The Set-Cookie headers, as sent. */
  cookies: string[];
}

export interface JsonRequest {
  method: string;
  headers?: Record<string, string>;
  /** Sent as JSON; a string is sent as it is (already JSON). */
  body?: unknown;
  /** An agent's access token, sent as a bearer token. */
  bearer?: string;
  agent?: Agent;
}

export function callJson<T>(url: string, options: JsonRequest): Promise<JsonAnswer<T>> {
  const target = new URL(url);
  const text =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const headers: Record<string, string | number> = {
    accept: 'application/json',
    ...options.headers,
  };
  if (text !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(text);
  }
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        agent: options.agent,
        host: target.hostname,
        port: target.port,
        method: options.method,
        path: `${target.pathname}${target.search}`,
        headers,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({
              status: response.statusCode ?? 0,
              body: JSON.parse(raw || 'null') as T,
              cookies: response.headers['set-cookie'] ?? [],
            });
          } catch {
            reject(
              new Error(
                `${options.method} ${target.pathname}: HTTP ${response.statusCode} ${raw.slice(0, 300)}`,
              ),
            );
          }
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(text);
  });
}

/**
 * The answer's body when it came with `status` (any 2xx when none is given); otherwise an error
 * naming the request.
 */
export function expectStatus<T>(what: string, answer: JsonAnswer<T>, status?: number): T {
  const expected =
    status === undefined ? answer.status >= 200 && answer.status < 300 : answer.status === status;
  if (!expected) {
    throw new Error(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
  }
  return answer.body;
}
