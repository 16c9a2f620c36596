import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf } from '../../caller.js';
import { keysScope } from '../device-auth/index.js';
import { requestLanguage } from '../../messages.js';
import {
  addMemberBody,
  changePoliciesBody,
  changeRoleBody,
  createOrganisationBody,
  invitationParams,
  invitationResponse,
  invitationsResponse,
  memberParams,
  memberResponse,
  membersResponse,
  organisationResponse,
  organisationsResponse,
  orgParams,
  policiesResponse,
} from './schema.js';
import * as policies from './library-policies.js';
import * as signin from './signin-policies.js';
import * as orgs from './service.js';

const tags = ['Organisations'];

export function organisationRoutes(app: FastifyInstance): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const ctx = app.keyhold;

  routes.get(
    '/api/v1/orgs',
    {
      // `keyhold backup --org NAME` finds the organisation by its name.
      config: { access: 'browser-or-token', scope: keysScope },
      schema: {
        tags,
        summary: "The selected account's organisations and its role in each",
        response: { 200: organisationsResponse },
      },
    },
    async (request) => ({
      organisations: await orgs.listOrganisations(ctx, callerOf(request)),
    }),
  );

  routes.post(
    '/api/v1/orgs',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Create an organisation; the creator becomes its owner',
        body: createOrganisationBody,
        response: { 201: organisationResponse },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const organisation = await orgs.createOrganisation(
        ctx,
        { name: request.body.name, ownerUserId: caller.accountId },
        caller,
      );
      return reply.status(201).send({ organisation });
    },
  );

  routes.get(
    '/api/v1/orgs/:orgId',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'One organisation the selected account belongs to',
        params: orgParams,
        response: { 200: organisationResponse },
      },
    },
    async (request) => ({
      organisation: await orgs.getOrganisation(ctx, callerOf(request), request.params.orgId),
    }),
  );

  routes.get(
    '/api/v1/orgs/:orgId/members',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: "The organisation's members",
        params: orgParams,
        response: { 200: membersResponse },
      },
    },
    async (request) => ({
      members: await orgs.listMembers(ctx, callerOf(request), request.params.orgId),
    }),
  );

  routes.post(
    '/api/v1/orgs/:orgId/members',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Add a member by email (owners and admins)',
        description:
          'An existing account becomes a member at once (201). With mail configured, an address ' +
          'without a confirmed account is invited by mail instead (202) and becomes a member ' +
          'when its account is confirmed; without mail such an address answers 404.',
        params: orgParams,
        body: addMemberBody,
        response: { 201: memberResponse, 202: invitationResponse },
      },
    },
    async (request, reply) => {
      const added = await orgs.addMember(
        ctx,
        callerOf(request),
        request.params.orgId,
        request.body,
        requestLanguage(request),
      );
      return 'member' in added
        ? reply.status(201).send({ member: added.member })
        : reply.status(202).send({ invitation: added.invitation });
    },
  );

  routes.get(
    '/api/v1/orgs/:orgId/invitations',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Addresses invited by mail and not yet members (owners and admins)',
        params: orgParams,
        response: { 200: invitationsResponse },
      },
    },
    async (request) => ({
      invitations: await orgs.listInvitations(ctx, callerOf(request), request.params.orgId),
    }),
  );

  routes.delete(
    '/api/v1/orgs/:orgId/invitations/:invitationId',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Withdraw an invitation (owners and admins)',
        params: invitationParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await orgs.withdrawInvitation(
        ctx,
        callerOf(request),
        request.params.orgId,
        request.params.invitationId,
      );
      return reply.status(204).send(null);
    },
  );

  routes.post(
    '/api/v1/orgs/:orgId/invitations/:invitationId/resend',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Mail an invitation again, valid for another 14 days (owners and admins)',
        params: invitationParams,
        response: { 200: invitationResponse },
      },
    },
    async (request) => ({
      invitation: await orgs.resendInvitation(
        ctx,
        callerOf(request),
        request.params.orgId,
        request.params.invitationId,
        requestLanguage(request),
      ),
    }),
  );

  routes.patch(
    '/api/v1/orgs/:orgId/members/:accountId',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: "Change a member's role (owners and admins)",
        params: memberParams,
        body: changeRoleBody,
        response: { 200: memberResponse },
      },
    },
    async (request) => ({
      member: await orgs.changeMemberRole(
        ctx,
        callerOf(request),
        request.params.orgId,
        request.params.accountId,
        request.body,
      ),
    }),
  );

  routes.delete(
    '/api/v1/orgs/:orgId/members/:accountId',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Remove a member, or leave the organisation',
        params: memberParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await orgs.removeMember(
        ctx,
        callerOf(request),
        request.params.orgId,
        request.params.accountId,
      );
      return reply.status(204).send(null);
    },
  );

  routes.get(
    '/api/v1/orgs/:orgId/policies',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: "The organisation's key library policies",
        params: orgParams,
        response: { 200: policiesResponse },
      },
    },
    async (request) => ({
      policies: {
        ...(await policies.readLibraryPolicies(ctx, callerOf(request), request.params.orgId)),
        ...(await signin.signinPolicies(ctx.db, request.params.orgId)),
      },
    }),
  );

  routes.patch(
    '/api/v1/orgs/:orgId/policies',
    {
      config: { access: 'browser' },
      schema: {
        tags,
        summary: 'Change the key library policies (owners and admins)',
        params: orgParams,
        body: changePoliciesBody,
        response: { 200: policiesResponse },
      },
    },
    async (request) => {
      const { requireSecondFactorFor, stepUpMinutes, ...library } = request.body;
      const caller = callerOf(request);
      const orgId = request.params.orgId;
      return {
        policies: {
          ...(await policies.changeLibraryPolicies(ctx, caller, orgId, library)),
          ...(await signin.changeSigninPolicies(ctx, caller, orgId, {
            requireSecondFactorFor,
            stepUpMinutes,
          })),
        },
      };
    },
  );
}
