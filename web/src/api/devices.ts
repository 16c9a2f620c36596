import { request } from './client.js';

/** A command-line client waiting to be connected (keyhold login), as the approval page shows it. */
export interface DeviceRequest {
  userCode: string;
  clientName: string;
  deviceName: string;
  scope: string;
  ipAddress: string | null;
  requestedAt: string;
  expiresAt: string;
}

/** A connected device's token; the token itself never reaches the browser. */
export interface DeviceToken {
  id: string;
  name: string;
  client: string;
  scope: string;
  createdAt: string;
  lastUsedAt: string | null;
  lastIpAddress: string | null;
  expiresAt: string;
}

export const lookUpDevice = (account: string, userCode: string) =>
  request<{ request: DeviceRequest }>('/device/lookup', {
    method: 'POST',
    account,
    body: { userCode },
  });

export const decideDevice = (account: string, userCode: string, approve: boolean) =>
  request<{ status: 'approved' | 'denied' }>('/device/approve', {
    method: 'POST',
    account,
    body: { userCode, approve },
  });

export const listDeviceTokens = (account: string) =>
  request<{ tokens: DeviceToken[] }>('/auth/tokens', { account });

export const revokeDeviceToken = (account: string, id: string) =>
  request<unknown>(`/auth/tokens/${encodeURIComponent(id)}`, { account, method: 'DELETE' });
