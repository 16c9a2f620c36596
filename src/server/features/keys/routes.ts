import fastifyMultipart from '@fastify/multipart';
import type { FastifyContextConfig, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf, sessionCallerOf } from '../../caller.js';
import { contentDisposition, sendCsv } from '../../downloads.js';
import { ValidationError } from '../../errors.js';
import { keysScope } from '../device-auth/index.js';
import { requireSecondFactorPolicy } from '../orgs/index.js';
import { organisationLibrary, personalLibrary, type Library } from '../../policies.js';
import { exportKeys } from './export.js';
import * as devices from './devices.js';
import * as files from './files.js';
import { issueReason, requestLanguage } from '../../messages.js';
import { importKeyFile, maximumUploadBytes, wordImportResult, type Upload } from './import.js';
import { purgeKeyFromBin } from './purge.js';
import { importEscrowExport } from './escrow-import.js';
import { coverageReport, coverageReportCsv } from './report.js';
import { rotateDevice, rotateOrganisation } from './rotation.js';
import {
  addBackupBody,
  addKeyBody,
  addKeyResponse,
  assignDeviceBody,
  backupResponse,
  backupsResponse,
  deleteBody,
  deviceListQuery,
  escrowImportBody,
  escrowImportResponse,
  maximumEscrowExportBytes,
  devicePage,
  deviceResponse,
  exportBody,
  filesResponse,
  idParams,
  importJsonBody,
  importQuery,
  importResponse,
  keyPage,
  keyResponse,
  listQuery,
  organisationAddKeyBody,
  organisationRevealWithApprovalBody,
  approvalListQuery,
  approvalParams,
  approvalPendingResponse,
  approvalResponse,
  approvalsParams,
  approvalsResponse,
  decisionBody,
  personalRevealBody,
  purgeBody,
  recoveryFileQuery,
  revealResponse,
  coverageReportQuery,
  coverageReportResponse,
  rotateDeviceResponse,
  rotateOrganisationResponse,
  sheetQuery,
} from './schema.js';
import * as approvals from './approvals.js';
import * as keys from './service.js';

const tags = ['Key library'];

/** Files that hold a recovery key: downloaded once, never kept by a cache. */
function sendSecretFile(
  reply: FastifyReply,
  file: { fileName: string; contentType: string; body: Buffer | string },
) {
  return reply
    .header('content-type', file.contentType)
    .header('content-disposition', contentDisposition(file.fileName))
    .header('cache-control', 'no-store')
    .send(file.body);
}

/**
 * Busboy reports a form it cannot read (no boundary, cut short, a broken part header) as a plain
 * Error; that is the sender's mistake, not the server's. Errors with a status (too large) stay.
 */
async function readingForm<T>(reading: Promise<T>): Promise<T> {
  try {
    return await reading;
  } catch (error) {
    if (!(error instanceof Error) || 'statusCode' in error) throw error;
    throw new ValidationError(
      {
        en:
          'The upload is not a complete multipart form: send multipart/form-data with its boundary ' +
          'and the file in the field "file".',
        nb:
          'Opplastingen er ikke et fullstendig multipart-skjema: send multipart/form-data med ' +
          'grensen (boundary) og filen i feltet «file».',
      },
      [
        {
          field: 'file',
          reason: { en: 'malformed multipart form', nb: 'ødelagt multipart-skjema' },
        },
      ],
    );
  }
}

/** The upload, from a multipart form (field `file`) or from JSON with the content in base64. */
async function readUpload(request: FastifyRequest): Promise<Upload> {
  if (request.isMultipart()) {
    const part = await readingForm(request.file());
    if (!part) {
      throw new ValidationError(
        {
          en: 'Attach the file as the form field "file".',
          nb: 'Legg ved filen i skjemafeltet «file».',
        },
        [{ field: 'file', reason: { en: 'missing', nb: 'mangler' } }],
      );
    }
    const bytes = await readingForm(part.toBuffer());
    const field = (name: string) => {
      const value = part.fields[name];
      return value &&
        !Array.isArray(value) &&
        value.type === 'field' &&
        typeof value.value === 'string'
        ? value.value
        : undefined;
    };
    const volumeType = z
      .enum(['os', 'fixed', 'removable'])
      .optional()
      .safeParse(field('volumeType'));
    return {
      fileName: part.filename || 'upload',
      bytes,
      deviceName: field('deviceName')?.slice(0, 400),
      volumeType: volumeType.success ? volumeType.data : undefined,
    };
  }
  const parsed = importJsonBody.safeParse(request.body, { reportInput: true });
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => ({
      field: issue.path.join('.'),
      reason: issueReason(issue),
    }));
    throw new ValidationError(
      {
        en: 'Send the file as multipart form field "file", or as JSON {"filename", "contentBase64"}.',
        nb: 'Send filen som skjemafeltet «file» (multipart), eller som JSON {"filename", "contentBase64"}.',
      },
      details,
    );
  }
  const bytes = Buffer.from(parsed.data.contentBase64, 'base64');
  if (bytes.length > maximumUploadBytes) {
    const limit = maximumUploadBytes / 1024;
    throw new ValidationError(
      { en: `The file is larger than ${limit} KiB.`, nb: `Filen er større enn ${limit} KiB.` },
      [
        {
          field: 'contentBase64',
          reason: { en: 'too large for a key file', nb: 'for stor for en nøkkelfil' },
        },
      ],
    );
  }
  return {
    fileName: parsed.data.filename,
    bytes,
    deviceName: parsed.data.deviceName,
    volumeType: parsed.data.volumeType,
  };
}

/** The personal library at /api/v1/..., each organisation's at /api/v1/orgs/:orgId/.... */
export async function keyRoutes(app: FastifyInstance): Promise<void> {
  await app.register(
    (scope) =>
      libraryRoutes(scope, 'personal', (request) => personalLibrary(callerOf(request).accountId)),
    {
      prefix: '/api/v1',
    },
  );
  await app.register(
    (scope) => {
      // Read before the route's own params schema (which names only `id`) drops it.
      scope.addHook('onRequest', (request, _reply, done) => {
        organisationOf.set(request, (request.params as { orgId?: string }).orgId ?? '');
        done();
      });
      // The organisation may ask some roles for a second factor before they use its library:
      // checked after the route's access check, which the access hook puts first.
      scope.addHook('onRoute', (route) => {
        route.preHandler = [
          ...[route.preHandler ?? []].flat(),
          async (request: FastifyRequest) => {
            await requireSecondFactorPolicy(
              scope.keyhold,
              callerOf(request),
              organisationOf.get(request) ?? '',
            );
          },
        ];
      });
      return libraryRoutes(scope, 'organisation', (request) =>
        organisationLibrary(organisationOf.get(request) ?? ''),
      );
    },
    { prefix: '/api/v1/orgs/:orgId' },
  );
  approvalRoutes(app);
}

/** The approval queue of an organisation that requires approval for helpdesk reveals. */
function approvalRoutes(app: FastifyInstance): void {
  const ctx = app.keyhold;
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const approvalTags = ['Reveal approvals'];

  routes.get(
    '/api/v1/orgs/:orgId/approvals',
    {
      config: { access: 'browser' },
      schema: {
        tags: approvalTags,
        summary: 'Reveal requests, newest first (owners, admins and the helpdesk)',
        params: approvalsParams,
        querystring: approvalListQuery,
        response: { 200: approvalsResponse },
      },
    },
    async (request) => ({
      items: await approvals.listApprovals(
        ctx,
        callerOf(request),
        request.params.orgId,
        request.query,
      ),
    }),
  );

  routes.get(
    '/api/v1/orgs/:orgId/approvals/:approvalId',
    {
      config: { access: 'browser' },
      schema: {
        tags: approvalTags,
        summary: 'One reveal request (approvers, and the person who asked)',
        params: approvalParams,
        response: { 200: approvalResponse },
      },
    },
    async (request) => ({
      approval: await approvals.getApproval(
        ctx,
        callerOf(request),
        request.params.orgId,
        request.params.approvalId,
      ),
    }),
  );

  for (const [verb, decision] of [
    ['approve', 'approved'],
    ['deny', 'denied'],
  ] as const) {
    routes.post(
      `/api/v1/orgs/:orgId/approvals/:approvalId/${verb}`,
      {
        config: { access: 'browser' },
        schema: {
          tags: approvalTags,
          summary:
            decision === 'approved'
              ? 'Approve a pending reveal request (not your own); audited'
              : 'Deny a pending reveal request (not your own); audited',
          params: approvalParams,
          body: decisionBody,
          response: { 200: approvalResponse },
        },
      },
      async (request) => ({
        approval: await approvals.decideApproval(
          ctx,
          callerOf(request),
          request.params.orgId,
          request.params.approvalId,
          decision,
          request.body?.note,
        ),
      }),
    );
  }
}

const organisationOf = new WeakMap<FastifyRequest, string>();

async function libraryRoutes(
  app: FastifyInstance,
  kind: Library['kind'],
  libraryOf: (request: FastifyRequest) => Library,
): Promise<void> {
  const ctx = app.keyhold;
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const signedIn: { config: FastifyContextConfig } = { config: { access: 'browser' } };
  // What a device connected with `keyhold login` may do as well: the key operations of the
  // person's own library, and in an organisation's library only what `keyhold backup --to
  // account --org` needs (add a key, find it, record a backup); the rest is used in the browser.
  const withToken: { config: FastifyContextConfig } = {
    config: { access: 'browser-or-token', scope: keysScope },
  };
  const keyOperation = kind === 'personal' ? withToken : signedIn;
  const backupOperation = withToken;
  // A download reads a secret and is audited; HEAD would do both without handing anything over,
  // so these routes answer GET only.
  const secretDownload = { exposeHeadRoute: false };

  routes.post(
    '/keys',
    {
      ...backupOperation,
      schema: {
        tags,
        summary: 'Add a recovery key (or refresh the details of one already stored)',
        body: kind === 'organisation' ? organisationAddKeyBody : addKeyBody,
        response: { 200: addKeyResponse, 201: addKeyResponse },
      },
    },
    async (request, reply) => {
      const result = await keys.addKey(ctx, callerOf(request), libraryOf(request), request.body);
      return reply.status(result.created ? 201 : 200).send(result);
    },
  );

  routes.get(
    '/keys',
    {
      ...backupOperation,
      schema: {
        tags,
        summary: 'List and search keys (Key ID prefix or device name); never shows secrets',
        querystring: listQuery,
        response: { 200: keyPage },
      },
    },
    (request) => keys.listKeys(ctx, callerOf(request), libraryOf(request), request.query),
  );

  // Uploads get their own scope: only here is a multipart body accepted, and up to a megabyte.
  await app.register(async (uploads) => {
    await uploads.register(fastifyMultipart, {
      limits: { fileSize: maximumUploadBytes, files: 1, fields: 4, fieldSize: 1024 },
      throwFileSizeLimit: true,
    });
    uploads.withTypeProvider<ZodTypeProvider>().post(
      '/keys/import',
      {
        ...keyOperation,
        bodyLimit: 2 * maximumUploadBytes,
        schema: {
          tags,
          summary: 'Import keys from a recovery key file, .BEK, manage-bde or PowerShell output',
          description:
            'multipart/form-data with the field "file", or JSON {"filename", "contentBase64", ' +
            '"deviceName"?, "volumeType"?}. With ?dryRun=true nothing is stored.',
          querystring: importQuery,
          response: { 200: importResponse },
        },
      },
      async (request) =>
        wordImportResult(
          await importKeyFile(
            ctx,
            callerOf(request),
            libraryOf(request),
            await readUpload(request),
            {
              dryRun: request.query.dryRun ?? false,
            },
          ),
          requestLanguage(request),
        ),
    );
  });

  routes.post(
    '/keys/export',
    {
      ...signedIn,
      schema: {
        tags,
        summary: 'Download every key with its recovery password (password or code re-entered)',
        body: exportBody,
      },
    },
    async (request, reply) => {
      const exported = await exportKeys(
        ctx,
        sessionCallerOf(request),
        libraryOf(request),
        request.body,
      );
      return sendSecretFile(reply, exported);
    },
  );

  routes.get(
    '/keys/:id',
    {
      ...keyOperation,
      schema: {
        tags,
        summary: 'One key',
        params: idParams,
        response: { 200: keyResponse },
      },
    },
    async (request) => ({
      key: await keys.getKey(ctx, callerOf(request), libraryOf(request), request.params.id),
    }),
  );

  routes.post(
    '/keys/:id/reveal',
    {
      ...keyOperation,
      schema: {
        tags,
        summary:
          kind === 'organisation'
            ? 'Reveal the recovery password, with the reason it is needed (audited)'
            : 'Reveal the recovery password (audited; a vault key needs the vault open)',
        ...(kind === 'organisation'
          ? {
              description:
                'When the organisation requires approval, a helpdesk reveal answers 202 ' +
                '{ approvalId }; once approved, the same request with that approvalId answers ' +
                'the key, once.',
            }
          : {}),
        params: idParams,
        body: kind === 'organisation' ? organisationRevealWithApprovalBody : personalRevealBody,
        response:
          kind === 'organisation'
            ? { 200: revealResponse, 202: approvalPendingResponse }
            : { 200: revealResponse },
      },
    },
    async (request, reply) => {
      const revealed = await keys.revealKey(
        ctx,
        callerOf(request),
        libraryOf(request),
        request.params.id,
        request.body,
      );
      if ('approvalId' in revealed) return reply.status(202).send(revealed);
      return reply.header('cache-control', 'no-store').send(revealed);
    },
  );

  routes.get(
    '/keys/:id/recovery-file',
    {
      ...keyOperation,
      ...secretDownload,
      schema: {
        tags,
        summary:
          'The recovery key file as Windows writes it, or for a LUKS key a UTF-8 text file (audited; record the backup with POST …/backups)',
        params: idParams,
        querystring: recoveryFileQuery,
      },
    },
    async (request, reply) => {
      const file = await keys.recoveryFile(
        ctx,
        callerOf(request),
        libraryOf(request),
        request.params.id,
        request.query.lang,
      );
      return sendSecretFile(reply, {
        fileName: file.fileName,
        contentType: file.contentType,
        body: file.bytes,
      });
    },
  );

  routes.get(
    '/keys/:id/sheet.pdf',
    {
      ...keyOperation,
      ...secretDownload,
      schema: {
        tags,
        summary:
          'A printable recovery key sheet, PDF (audited; record the backup with POST …/backups)',
        params: idParams,
        querystring: sheetQuery,
      },
    },
    async (request, reply) => {
      const sheet = await keys.recoverySheet(
        ctx,
        callerOf(request),
        libraryOf(request),
        request.params.id,
        request.query,
      );
      return sendSecretFile(reply, {
        fileName: sheet.fileName,
        contentType: 'application/pdf',
        body: sheet.bytes,
      });
    },
  );

  routes.post(
    '/keys/:id/backups',
    {
      ...backupOperation,
      schema: {
        tags,
        summary: 'Record a backup made elsewhere (USB drive, file, paper)',
        params: idParams,
        body: addBackupBody,
        response: { 201: backupResponse },
      },
    },
    async (request, reply) => {
      const backup = await keys.addBackup(
        ctx,
        callerOf(request),
        libraryOf(request),
        request.params.id,
        request.body,
      );
      return reply.status(201).send({ backup });
    },
  );

  routes.get(
    '/keys/:id/backups',
    {
      ...keyOperation,
      schema: {
        tags,
        summary: "A key's backups, newest first",
        params: idParams,
        response: { 200: backupsResponse },
      },
    },
    async (request) => ({
      items: await keys.listBackups(ctx, callerOf(request), libraryOf(request), request.params.id),
    }),
  );

  // The vault is a place in a person's own library.
  if (kind === 'personal') {
    routes.post(
      '/keys/:id/vault',
      {
        ...signedIn,
        schema: {
          tags,
          summary: 'Move a key into the vault',
          params: idParams,
          response: { 200: keyResponse },
        },
      },
      async (request) => ({
        key: await keys.moveKeyToVault(
          ctx,
          callerOf(request),
          libraryOf(request),
          request.params.id,
        ),
      }),
    );

    routes.delete(
      '/keys/:id/vault',
      {
        ...signedIn,
        schema: {
          tags,
          summary: 'Take a key out of the vault (the vault must be open)',
          params: idParams,
          response: { 200: keyResponse },
        },
      },
      async (request) => ({
        key: await keys.moveKeyOutOfVault(
          ctx,
          callerOf(request),
          libraryOf(request),
          request.params.id,
        ),
      }),
    );
  }

  routes.delete(
    '/keys/:id',
    {
      ...signedIn,
      schema: {
        tags,
        summary: 'Delete a key (soft delete; restore brings it back). Needs {"confirmSaved": true}',
        params: idParams,
        body: deleteBody,
        response: { 200: keyResponse },
      },
    },
    async (request) => ({
      key: await keys.deleteKey(
        ctx,
        callerOf(request),
        libraryOf(request),
        request.params.id,
        request.body ?? {},
      ),
    }),
  );

  routes.delete(
    '/keys/:id/permanently',
    {
      ...signedIn,
      schema: {
        tags,
        summary:
          'Delete a key in the bin for good (audited; cannot be undone). Needs {"confirmPermanent": true}',
        params: idParams,
        body: purgeBody,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await purgeKeyFromBin(
        ctx,
        callerOf(request),
        libraryOf(request),
        request.params.id,
        request.body ?? {},
      );
      return reply.status(204).send(null);
    },
  );

  routes.post(
    '/keys/:id/restore',
    {
      ...signedIn,
      schema: {
        tags,
        summary: 'Restore a deleted key',
        params: idParams,
        response: { 200: keyResponse },
      },
    },
    async (request) => ({
      key: await keys.restoreKey(ctx, callerOf(request), libraryOf(request), request.params.id),
    }),
  );

  routes.get(
    '/files',
    {
      ...signedIn,
      schema: {
        tags,
        summary: 'Uploaded key files, kept as they were sent',
        response: { 200: filesResponse },
      },
    },
    async (request) => ({
      items: await files.listFiles(ctx, callerOf(request), libraryOf(request)),
    }),
  );

  routes.get(
    '/files/:id/download',
    {
      ...signedIn,
      ...secretDownload,
      schema: {
        tags,
        summary: 'Download an uploaded file as it was sent (audited)',
        params: idParams,
      },
    },
    async (request, reply) => {
      const file = await files.downloadFile(
        ctx,
        callerOf(request),
        libraryOf(request),
        request.params.id,
      );
      return sendSecretFile(reply, {
        fileName: file.fileName,
        contentType: 'application/octet-stream',
        body: file.bytes,
      });
    },
  );

  if (kind === 'personal') {
    for (const [method, inVault] of [
      ['POST', true],
      ['DELETE', false],
    ] as const) {
      routes.route({
        method,
        url: '/files/:id/vault',
        ...signedIn,
        schema: {
          tags,
          summary: inVault ? 'Move a file into the vault' : 'Take a file out of the vault',
          params: idParams,
          response: { 204: z.null() },
        },
        handler: async (request, reply) => {
          await files.setFileInVault(
            ctx,
            callerOf(request),
            libraryOf(request),
            request.params.id,
            inVault,
          );
          return reply.status(204).send(null);
        },
      });
    }
  }

  routes.get(
    '/devices',
    {
      ...signedIn,
      schema: {
        tags,
        summary: "The library's devices by name; an organisation's members see their own",
        querystring: deviceListQuery,
        response: { 200: devicePage },
      },
    },
    (request) => devices.listDevices(ctx, callerOf(request), libraryOf(request), request.query),
  );

  routes.get(
    '/devices/:id',
    {
      ...signedIn,
      schema: {
        tags,
        summary: "A device with its drives and each drive's current and previous keys",
        params: idParams,
        response: { 200: deviceResponse },
      },
    },
    async (request) => ({
      device: await devices.getDevice(
        ctx,
        callerOf(request),
        libraryOf(request),
        request.params.id,
      ),
    }),
  );

  if (kind === 'organisation') {
    routes.patch(
      '/devices/:id',
      {
        ...signedIn,
        schema: {
          tags,
          summary: 'Assign a device to a member of the organisation (null: to nobody)',
          params: idParams,
          body: assignDeviceBody,
          response: { 200: deviceResponse },
        },
      },
      async (request) => ({
        device: await devices.assignDevice(
          ctx,
          callerOf(request),
          libraryOf(request),
          request.params.id,
          request.body,
        ),
      }),
    );

    routes.post(
      '/devices/:id/rotate',
      {
        ...signedIn,
        schema: {
          tags,
          summary: "Mark the current key of each of a device's drives for rotation (admins)",
          params: idParams,
          response: { 200: rotateDeviceResponse },
        },
      },
      (request) => rotateDevice(ctx, callerOf(request), libraryOf(request), request.params.id),
    );

    routes.post(
      '/rotate',
      {
        ...signedIn,
        schema: {
          tags,
          summary: 'Mark the current key of every drive in the organisation for rotation (admins)',
          response: { 200: rotateOrganisationResponse },
        },
      },
      (request) => rotateOrganisation(ctx, callerOf(request), libraryOf(request)),
    );

    routes.post(
      '/import',
      {
        ...signedIn,
        bodyLimit: Math.ceil(maximumEscrowExportBytes / 3) * 4 + 4096,
        schema: {
          tags,
          summary:
            'Move keys in from Entra ID / Intune (CSV, Graph JSON), Active Directory (LDIF, Get-ADObject JSON), MBAM (CSV) or a Keyhold export',
          description:
            'JSON {"filename", "contentBase64"}; the format is told from the content. With ?dryRun=true nothing is stored.',
          querystring: importQuery,
          body: escrowImportBody,
          response: { 200: escrowImportResponse },
        },
      },
      (request) =>
        importEscrowExport(ctx, callerOf(request), libraryOf(request), {
          bytes: Buffer.from(request.body.contentBase64, 'base64'),
          fileName: request.body.filename,
          dryRun: request.query.dryRun ?? false,
        }),
    );

    routes.get(
      '/report',
      {
        ...signedIn,
        schema: {
          tags,
          summary:
            'Coverage: drives without a key, keys to rotate or never proven, devices not seen (owners, admins, auditors); ?format=csv or Accept: text/csv for one row per drive',
          querystring: coverageReportQuery,
          response: { 200: coverageReportResponse },
        },
      },
      async (request, reply) => {
        const { format, staleDays } = request.query;
        const wantsCsv =
          format === 'csv' ||
          (format === undefined && (request.headers.accept ?? '').includes('text/csv'));
        if (!wantsCsv) {
          return coverageReport(ctx, callerOf(request), libraryOf(request), { staleDays });
        }
        const csv = await coverageReportCsv(ctx, callerOf(request), libraryOf(request), {
          staleDays,
        });
        return sendCsv(reply, csv);
      },
    );
  }
}
