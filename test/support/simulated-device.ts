import { randomUUID } from 'node:crypto';
import type {
  AccessTokenAnswer,
  ChallengeAnswer,
  CheckInAnswer,
  EnrollAnswer,
} from '../../src/api/enrollment.js';
import {
  generateDeviceKeyPair,
  jwtBearerAssertionType,
  signAssertion,
  type DeviceKeyPair,
} from '../../src/crypto/device-assertion.js';
import { sealForEscrow } from '../../src/crypto/escrow-seal.js';
import type { ApiResponse } from '../server/harness.js';

type Send = <T>(
  method: 'GET' | 'POST',
  url: string,
  options?: { body?: unknown; headers?: Record<string, string> },
) => Promise<ApiResponse<T>>;

/**
 * A computer as the agent is to the server: its own key pair, enrollment, signed challenges and
 * sealed escrow. Server tests use it where running the whole CLI would add nothing.
 */
export class SimulatedDevice {
  readonly keys: DeviceKeyPair = generateDeviceKeyPair();
  readonly hardwareId: string;
  enrolled: EnrollAnswer | undefined;
  sequence = 0;

  constructor(
    private readonly send: Send,
    readonly hostname = `PC-${randomUUID().slice(0, 6).toUpperCase()}`,
    hardwareId?: string,
    /** The server's clock, which a test may have moved on. */
    private readonly now: () => Date = () => new Date(),
  ) {
    this.hardwareId = hardwareId ?? randomUUID();
  }

  async enroll(token: string, ifAlreadyEnrolled?: 'replace' | 'keep-both') {
    const answer = await this.send<EnrollAnswer>('POST', '/api/v1/agent/enroll', {
      body: {
        token,
        hostname: this.hostname,
        os: 'Windows 11 Pro 23H2',
        hardwareId: this.hardwareId,
        publicKey: this.keys.publicJwk,
        ...(ifAlreadyEnrolled ? { ifAlreadyEnrolled } : {}),
      },
    });
    if (answer.status === 201) this.enrolled = answer.body;
    return answer;
  }

  get id(): string {
    if (!this.enrolled) throw new Error('the device is not enrolled');
    return this.enrolled.enrolledDeviceId;
  }

  async challenge(): Promise<string> {
    const answer = await this.send<ChallengeAnswer>('POST', '/api/v1/agent/challenge', {
      body: { enrolledDeviceId: this.id },
    });
    if (answer.status !== 200) throw new Error(`no challenge: ${JSON.stringify(answer.body)}`);
    return answer.body.challenge;
  }

  assertion(challenge: string, privateKeyPem = this.keys.privateKeyPem): string {
    const now = Math.floor(this.now().getTime() / 1000);
    return signAssertion(privateKeyPem, {
      iss: this.id,
      sub: this.id,
      aud: 'http://localhost/api/v1/agent/token',
      jti: challenge,
      iat: now,
      exp: now + 120,
    });
  }

  exchange(assertion: string, headers: Record<string, string> = {}) {
    return this.send<AccessTokenAnswer>('POST', '/api/v1/agent/token', {
      body: { client_assertion_type: jwtBearerAssertionType, client_assertion: assertion },
      headers,
    });
  }

  /** A check-in with a signed assertion (a new access token comes with the state). */
  checkInSigned(assertion: string) {
    return this.send<CheckInAnswer>('POST', '/api/v1/agent/check-in', {
      body: { client_assertion_type: jwtBearerAssertionType, client_assertion: assertion },
    });
  }

  /** A check-in with an access token the device holds. */
  checkInWith(accessToken: string) {
    return this.send<CheckInAnswer>('POST', '/api/v1/agent/check-in', {
      body: {},
      headers: { authorization: `Bearer ${accessToken}` },
    });
  }

  async accessToken(): Promise<string> {
    const answer = await this.exchange(this.assertion(await this.challenge()));
    if (answer.status !== 200) throw new Error(`no access token: ${JSON.stringify(answer.body)}`);
    return answer.body.access_token;
  }

  seal(recoveryPassword: string): string {
    if (!this.enrolled) throw new Error('the device is not enrolled');
    return sealForEscrow(this.enrolled.escrowPublicKey, this.id, recoveryPassword);
  }
}
