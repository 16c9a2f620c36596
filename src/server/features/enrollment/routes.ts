import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { callerOf } from '../../caller.js';
import { UnauthenticatedError } from '../../errors.js';
import { requestInfo } from '../../request-info.js';
import * as agent from './agent.js';
import * as identity from './identity.js';
import {
  accessTokenBody,
  accessTokenResponse,
  agentStateResponse,
  challengeBody,
  challengeResponse,
  checkInBody,
  checkInResponse,
  createdEnrollmentTokenResponse,
  createEnrollmentTokenBody,
  enrollBody,
  enrolledDeviceParams,
  enrolledDeviceResponse,
  enrolledDevicesResponse,
  enrollmentTokenParams,
  enrollmentTokenResponse,
  enrollmentTokensResponse,
  enrollResponse,
  escrowBody,
  escrowResponse,
  orgParams,
} from './schema.js';
import * as tokens from './tokens.js';

const adminTags = ['Enrollment'];
const agentTags = ['Agent'];

function deviceOf(request: FastifyRequest): identity.DeviceCaller {
  if (!request.device) throw new UnauthenticatedError();
  return request.device;
}

export function enrollmentRoutes(app: FastifyInstance): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const ctx = app.keyhold;

  routes.post(
    '/api/v1/orgs/:orgId/enrollment-tokens',
    {
      config: { access: 'browser' },
      schema: {
        tags: adminTags,
        summary:
          'Create an enrollment token (owners and admins); its secret is in this answer only',
        params: orgParams,
        body: createEnrollmentTokenBody,
        response: { 201: createdEnrollmentTokenResponse },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          await tokens.createEnrollmentToken(
            ctx,
            callerOf(request),
            request.params.orgId,
            request.body,
          ),
        ),
  );

  routes.get(
    '/api/v1/orgs/:orgId/enrollment-tokens',
    {
      config: { access: 'browser' },
      schema: {
        tags: adminTags,
        summary: "The organisation's enrollment tokens with their uses (never their secrets)",
        params: orgParams,
        response: { 200: enrollmentTokensResponse },
      },
    },
    async (request) => ({
      items: await tokens.listEnrollmentTokens(ctx, callerOf(request), request.params.orgId),
    }),
  );

  routes.post(
    '/api/v1/orgs/:orgId/enrollment-tokens/:tokenId/revoke',
    {
      config: { access: 'browser' },
      schema: {
        tags: adminTags,
        summary: 'Revoke an enrollment token: it enrolls no more devices',
        params: enrollmentTokenParams,
        response: { 200: enrollmentTokenResponse },
      },
    },
    async (request) => ({
      token: await tokens.revokeEnrollmentToken(
        ctx,
        callerOf(request),
        request.params.orgId,
        request.params.tokenId,
      ),
    }),
  );

  routes.get(
    '/api/v1/orgs/:orgId/enrolled-devices',
    {
      config: { access: 'browser' },
      schema: {
        tags: adminTags,
        summary: "The organisation's enrolled devices, their status and rotation state",
        params: orgParams,
        response: { 200: enrolledDevicesResponse },
      },
    },
    async (request) => ({
      items: await identity.listEnrolledDevices(ctx, callerOf(request), request.params.orgId),
    }),
  );

  routes.post(
    '/api/v1/orgs/:orgId/enrolled-devices/:enrolledDeviceId/retire',
    {
      config: { access: 'browser' },
      schema: {
        tags: adminTags,
        summary: 'Retire an enrolled device: its credential stops working, its keys stay',
        params: enrolledDeviceParams,
        response: { 200: enrolledDeviceResponse },
      },
    },
    async (request) => ({
      device: await identity.retireDevice(
        ctx,
        callerOf(request),
        request.params.orgId,
        request.params.enrolledDeviceId,
      ),
    }),
  );

  routes.post(
    '/api/v1/agent/enroll',
    {
      config: { access: 'public' },
      schema: {
        tags: agentTags,
        summary: 'Enroll a computer with an enrollment token and its public key',
        body: enrollBody,
        response: { 201: enrollResponse },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await identity.enroll(ctx, requestInfo(request), request.body)),
  );

  routes.post(
    '/api/v1/agent/challenge',
    {
      config: { access: 'public' },
      schema: {
        tags: agentTags,
        summary: 'A one-time challenge for an enrolled device to sign',
        body: challengeBody,
        response: { 200: challengeResponse },
      },
    },
    async (request) => identity.issueChallenge(ctx, request.body.enrolledDeviceId),
  );

  routes.post(
    identity.tokenEndpointPath,
    {
      config: { access: 'public' },
      schema: {
        tags: agentTags,
        summary: 'A short-lived access token for a signed challenge (RFC 7523 client assertion)',
        body: accessTokenBody,
        response: { 200: accessTokenResponse },
      },
    },
    async (request) => identity.issueAccessToken(ctx, request.body.client_assertion),
  );

  routes.post(
    identity.checkInPath,
    {
      // Either credential: an access token in the Authorization header, or a signed challenge.
      config: { access: 'public' },
      schema: {
        tags: agentTags,
        summary:
          "A device's check-in: its state, with its access token or a signed challenge (then a new access token too)",
        body: checkInBody,
        response: { 200: checkInResponse },
      },
    },
    async (request) => identity.checkIn(ctx, request, request.body.client_assertion),
  );

  routes.get(
    '/api/v1/agent/state',
    {
      config: { access: 'device' },
      schema: {
        tags: agentTags,
        summary: "The device's organisation, escrow key, policy and keys to rotate",
        response: { 200: agentStateResponse },
      },
    },
    async (request) => agent.agentState(ctx, deviceOf(request)),
  );

  routes.post(
    '/api/v1/agent/escrow',
    {
      config: { access: 'device' },
      schema: {
        tags: agentTags,
        summary: "Escrow the keys of the device's drives; answered once they are stored",
        body: escrowBody,
        response: { 200: escrowResponse },
      },
    },
    async (request) => agent.escrow(ctx, deviceOf(request), request.body),
  );
}
