import { Secret, TOTP } from 'otpauth';

const period = 30;

function totpFor(secretBase32: string, label = 'Keyhold'): TOTP {
  return new TOTP({
    issuer: 'Keyhold',
    label,
    algorithm: 'SHA1',
    digits: 6,
    period,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** A new 160-bit secret, as the base32 text authenticator apps take. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function totpUri(secretBase32: string, email: string): string {
  return totpFor(secretBase32, email).toString();
}

/**
 * The time step a code belongs to, or undefined when it is wrong. One step of clock drift either
 * way is accepted; the caller refuses steps it has already seen, so a code works once.
 */
export function totpStep(secretBase32: string, code: string, now: Date): number | undefined {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  const delta = totpFor(secretBase32).validate({ token, timestamp: now.getTime(), window: 1 });
  if (delta === null) return undefined;
  return Math.floor(now.getTime() / 1000 / period) + delta;
}

/** For tests and the curl session: the code an authenticator app shows at `now`. */
export function totpCode(secretBase32: string, now: Date): string {
  return totpFor(secretBase32).generate({ timestamp: now.getTime() });
}
