import type { FastifyRequest } from 'fastify';

/** Where a request came from; recorded with audit events and sessions. */
export interface RequestInfo {
  ipAddress: string;
  userAgent: string | null;
}

export function requestInfo(request: FastifyRequest): RequestInfo {
  const userAgent = request.headers['user-agent'];
  return { ipAddress: request.ip, userAgent: userAgent ? userAgent.slice(0, 512) : null };
}
