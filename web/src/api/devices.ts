import type { ApiToken, DeviceDecision, DeviceRequest } from '../../../src/api/device-auth.js';
import { request } from './client.js';

/** Devices connected with `keyhold login`; the shapes are the server's contract (src/api). */
export type { DeviceRequest } from '../../../src/api/device-auth.js';

export const lookUpDevice = (account: string, userCode: string) =>
  request<{ request: DeviceRequest }>('/device/lookup', {
    method: 'POST',
    account,
    body: { userCode },
  });

export const decideDevice = (account: string, userCode: string, approve: boolean) =>
  request<DeviceDecision>('/device/approve', {
    method: 'POST',
    account,
    body: { userCode, approve },
  });

export const listDeviceTokens = (account: string) =>
  request<{ tokens: ApiToken[] }>('/auth/tokens', { account });

export const revokeDeviceToken = (account: string, id: string) =>
  request<unknown>(`/auth/tokens/${encodeURIComponent(id)}`, { account, method: 'DELETE' });
