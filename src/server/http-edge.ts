import { X509Certificate } from 'node:crypto';
import { BlockList, isIP, type Server, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from './config.js';
import { HostNotAllowedError } from './errors.js';

/**
 * The edge of the server, before any route: which peers may speak for the client address, how
 * long a request may take to arrive, how many connections one address may hold, which host names
 * the server answers to, and the TLS it offers. See docs/operations.md, "Behind a proxy" and
 * "Connections and timeouts".
 */

/** An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d; rules are written for a.b.c.d. */
function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

function addressList(entries: string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return (address) => {
    const plain = plainAddress(address);
    const version = isIP(plain);
    return version !== 0 && list.check(plain, version === 6 ? 'ipv6' : 'ipv4');
  };
}

/**
 * Fastify's `trustProxy`: which hops of the connection and its X-Forwarded-For chain are proxies.
 * Counting from the peer (hop 0) towards the client, the first hop that is not trusted is the
 * client. With a list only those addresses are proxies, so a client connecting directly cannot
 * name its own address; with a hop count the last N hops are, and whatever a client wrote to the
 * left of them is ignored.
 */
export function proxyTrust(config: Config): ((address: string, hop: number) => boolean) | false {
  if (!config.behindProxy) return false;
  if (config.trustedProxies) return addressList(config.trustedProxies);
  const hops = config.proxyHops ?? 1;
  return (_address, hop) => hop < hops;
}

/**
 * Timeouts for the Node server Fastify creates (plain and TLS alike). Node checks them on a timer
 * whose default period (30 s) would let a slow sender hold a connection well past the limit.
 */
export function serverTimeouts(config: Config): {
  requestTimeout: number;
  headersTimeout: number;
  connectionsCheckingInterval: number;
} {
  const requestTimeout = config.requestTimeoutSeconds * 1000;
  return {
    requestTimeout,
    headersTimeout: Math.min(requestTimeout, 10_000),
    connectionsCheckingInterval: Math.min(requestTimeout / 2, 1000),
  };
}

/**
 * Closes a new connection at once when its address already holds the allowed number, so one
 * client cannot take every socket the process can open. Connections from trusted proxies carry
 * many clients and are not counted (the proxy limits its own clients).
 */
export function limitConnectionsPerAddress(server: Server, config: Config): void {
  const trust = proxyTrust(config);
  if (trust && !config.trustedProxies) return;
  const isProxy = trust ? (address: string) => trust(address, 0) : () => false;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (address === undefined || isProxy(address)) return;
    const count = (open.get(address) ?? 0) + 1;
    if (count > config.connectionsPerAddress) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}

const wildcardHosts = new Set(['0.0.0.0', '::', '[::]', '']);

function bareHostname(host: string): string {
  return host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

/** The names and addresses in a certificate's subjectAltName, wildcards as `*.example.org`. */
function certificateNames(certificate: Buffer): string[] {
  const altNames = new X509Certificate(certificate).subjectAltName ?? '';
  return altNames
    .split(',')
    .map((entry) => /^\s*(?:DNS|IP Address):(.+)$/.exec(entry)?.[1]?.trim())
    .filter((name): name is string => name !== undefined)
    .map(bareHostname);
}

/**
 * The host names a browser may use for this server: `localhost`, the listen address (every
 * address of this machine when listening on all of them), the `--public-url` host and, with TLS,
 * the names the certificate is for. Any other name means the page was loaded from somewhere else
 * and its name now points here (DNS rebinding), so the request is refused whatever its Origin.
 */
export function hostAllowList(config: Config, certificate?: Buffer): (hostname: string) => boolean {
  const names = new Set(['localhost']);
  if (wildcardHosts.has(config.host)) {
    for (const addresses of Object.values(networkInterfaces())) {
      for (const { address } of addresses ?? []) names.add(bareHostname(address));
    }
  } else {
    names.add(bareHostname(config.host));
  }
  if (config.host === 'localhost') ['127.0.0.1', '::1'].forEach((address) => names.add(address));
  if (config.publicUrl) names.add(bareHostname(new URL(config.publicUrl).hostname));
  const wildcards: string[] = [];
  for (const name of certificate ? certificateNames(certificate) : []) {
    if (name.startsWith('*.')) wildcards.push(name.slice(1));
    else names.add(name);
  }
  return (hostname) =>
    names.has(hostname) ||
    wildcards.some(
      (suffix) => hostname.endsWith(suffix) && !hostname.slice(0, -suffix.length).includes('.'),
    );
}

/** The host name of a Host header (`name`, `name:port`, `[v6]:port`), or undefined if malformed. */
export function hostnameOf(header: string | undefined): string | undefined {
  if (!header || !/^[\w.-]+(:\d{1,5})?$|^\[[\da-fA-F:.]+\](:\d{1,5})?$/.test(header)) {
    return undefined;
  }
  try {
    // URL parsing also brings other spellings of an address (0x7f.1) to the usual one.
    return bareHostname(new URL(`http://${header}`).hostname);
  } catch {
    return undefined;
  }
}

/**
 * The `onRequest` check: the Host header, and the X-Forwarded-Host a trusted proxy passed on,
 * must both name this server.
 */
export function enforceHost(allowed: (hostname: string) => boolean) {
  // Clients send the same few Host values over and over, and parsing one (a URL each) cost as
  // much as the rest of a health check: the answers are kept per header value, a bounded few.
  const answers = new Map<string, boolean>();
  const isAllowed = (host: string | undefined): boolean => {
    if (host === undefined) return false;
    let answer = answers.get(host);
    if (answer === undefined) {
      const hostname = hostnameOf(host);
      answer = hostname !== undefined && allowed(hostname);
      if (answers.size >= rememberedHosts) answers.clear();
      answers.set(host, answer);
    }
    return answer;
  };
  return (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void => {
    const header = request.headers.host;
    const forwarded = request.host;
    if (!isAllowed(header) || (forwarded !== header && !isAllowed(forwarded))) {
      done(new HostNotAllowedError());
      return;
    }
    done();
  };
}

/** Host header values whose answer enforceHost keeps; a client sending many only refills it. */
const rememberedHosts = 64;

/**
 * Mozilla's "intermediate" TLS 1.2 suites: forward secret, authenticated encryption only (no CBC,
 * no SHA-1, no RSA key exchange). TLS 1.3 suites are all of that already and keep Node's defaults.
 */
export const tls12Ciphers = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export const tlsSettings = {
  minVersion: 'TLSv1.2',
  ciphers: tls12Ciphers,
  // Every suite offered is strong, so the client may pick what it runs fastest.
  honorCipherOrder: false,
} as const;
