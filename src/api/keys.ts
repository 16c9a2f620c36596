import { z } from 'zod';
import { plainText, plainMultilineText } from './plain-text.js';

/**
 * Request and response shapes of the key library (docs/api.md, "Key library"). Response schemas
 * are also the serializer's allow-list: a field not named here never leaves the server, so no
 * list or summary can carry a recovery password by accident.
 */

/** What kind of drive a volume is: the one Windows starts from, another fixed drive, or removable. */
export const volumeTypes = ['os', 'fixed', 'removable'] as const;
export type VolumeType = (typeof volumeTypes)[number];

/** A BitLocker recovery password, or a recovery passphrase in a LUKS key slot. */
export const keyKinds = ['bitlocker', 'luks'] as const;
export type KeyKind = (typeof keyKinds)[number];

/** Where a copy of a key was kept: the account itself, or a copy taken out of it. */
export const backupDestinations = ['account', 'usb', 'file', 'print', 'vault'] as const;
export type BackupDestination = (typeof backupDestinations)[number];

/** The most keys one page of a list holds. */
export const maximumPageSize = 200;

/** Ids are checked by the service, so a malformed id answers 404 like any missing key. */
export const idParams = z.object({ id: z.string().max(100) });

const volumeType = z.enum(volumeTypes);

export const keySummary = z
  .object({
    id: z.string(),
    kind: z.enum(keyKinds),
    protectorId: z
      .string()
      .describe('BitLocker: the Key ID; LUKS: the identifier the agent gave the recovery slot'),
    shortId: z.string(),
    luks: z
      .object({
        uuid: z.string().describe("The volume's LUKS UUID (cryptsetup luksUUID)"),
        slot: z.number().int().describe('The key slot holding the recovery passphrase'),
      })
      .nullable()
      .describe('For a LUKS key: where it unlocks; null for BitLocker'),
    deviceId: z.string().describe('The device the key belongs to (see GET …/devices/:id)'),
    deviceName: z.string(),
    volume: z.object({
      label: z.string(),
      type: volumeType,
      volumeGuid: z.string().nullable(),
    }),
    source: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    backupCount: z.number().int(),
    lastBackup: z.object({ destination: z.enum(backupDestinations), at: z.string() }).nullable(),
    hasOfflineBackup: z.boolean(),
    inVault: z.boolean(),
    deletedAt: z.string().nullable(),
    rotationRequired: z
      .boolean()
      .describe('An organisation key that was revealed or marked: replace it with a new one'),
    rotationRequiredSince: z.string().nullable(),
    provenAt: z
      .string()
      .nullable()
      .describe('When the key was last read from the volume it unlocks; null: never'),
  })
  .meta({ id: 'KeySummary' });

export const keyResponse = z.object({ key: keySummary });

export const detailField = z.enum([
  'deviceName',
  'volume.label',
  'volume.type',
  'volume.volumeGuid',
]);

export const addKeyBody = z.object({
  protectorId: z.string().max(200).describe('The key protector ID (Key ID), any usual form'),
  recoveryPassword: z.string().max(400).describe('The 48-digit recovery password'),
  deviceName: plainText(z.string().max(400))
    .optional()
    .describe('The computer the drive belongs to; left out, a stored key keeps its own'),
  volume: z
    .object({
      label: plainText(z.string().max(400))
        .optional()
        .describe('Drive letter, mount point or label, e.g. "C:"'),
      type: volumeType.optional(),
      volumeGuid: z.string().max(100).nullish(),
    })
    .optional()
    .describe('Details left out keep what a stored key already has'),
  defaults: z
    .object({
      deviceName: plainText(z.string().max(400)).optional(),
      volumeLabel: plainText(z.string().max(400)).optional(),
      volumeType: volumeType.optional(),
    })
    .optional()
    .describe(
      "Guesses for a new key only (e.g. the computer's name); never replace stored details",
    ),
  source: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,30}$/, 'a short lower-case word such as manual or cli')
    .optional(),
  provenAgainstVolume: z
    .boolean()
    .optional()
    .describe(
      'True when the sender just read the key from the volume it unlocks (the CLI or agent on that computer)',
    ),
});

export const addKeyResponse = z.object({
  key: keySummary,
  created: z.boolean(),
  updated: z.array(detailField).describe('For a stored key: the details this save changed'),
});

export const listQuery = z.object({
  q: z.string().max(200).optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(maximumPageSize).optional(),
  deleted: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional(),
});

export const keyPage = z.object({ items: z.array(keySummary), nextCursor: z.string().nullable() });

export const importQuery = z.object({
  dryRun: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional(),
});

export const importJsonBody = z.object({
  filename: z.string().trim().min(1).max(255),
  contentBase64: z.string().max(2 * 1024 * 1024),
  deviceName: z.string().max(400).optional(),
  volumeType: volumeType.optional(),
});

export const importResponse = z.object({
  found: z.array(
    z.object({
      protectorId: z.string(),
      type: z.string(),
      volume: z.object({ label: z.string(), type: volumeType }).nullable(),
      action: z.enum(['add', 'update', 'skip', 'conflict']),
      /** Stable, for scripts; `reason` says the same in the language asked for. */
      reasonCode: z
        .enum([
          'startup_key',
          'tpm',
          'password_protector',
          'no_recovery_password',
          'repeated',
          'invalid_password',
          'already_stored',
          'different_password',
        ])
        .optional(),
      reason: z.string().optional(),
      updated: z.array(detailField).optional(),
    }),
  ),
  added: z.number().int(),
  updated: z.number().int(),
  fileId: z.string().nullable(),
});

export const revealResponse = z.object({
  recoveryPassword: z
    .string()
    .describe('BitLocker: the 48-digit recovery password; LUKS: the recovery passphrase'),
  protectorId: z.string(),
});

const fileLanguage = z.enum(['en', 'nb']).default('en');

export const recoveryFileQuery = z.object({ lang: fileLanguage });
export const sheetQuery = z.object({
  lang: fileLanguage,
  paper: z.enum(['a4', 'letter']).default('a4'),
});

export const backup = z.object({
  id: z.string(),
  destination: z.enum(backupDestinations),
  at: z.string(),
  note: z.string().nullable(),
});

export const addBackupBody = z.object({
  destination: z.enum(['usb', 'file', 'print']),
  note: plainMultilineText(z.string().max(500)).optional(),
});
export const backupResponse = z.object({ backup });
export const backupsResponse = z.object({ items: z.array(backup) });

export const deleteBody = z.object({ confirmSaved: z.boolean().optional() }).optional();

export const purgeBody = z.object({ confirmPermanent: z.boolean().optional() }).optional();

export const exportBody = z.object({
  format: z.enum(['json', 'csv']),
  password: z.string().max(1024).optional(),
  totpCode: z.string().max(20).optional(),
});

export const uploadedFile = z
  .object({
    id: z.string(),
    fileName: z.string(),
    size: z.number().int(),
    format: z.string(),
    createdAt: z.string(),
    inVault: z.boolean(),
    keyIds: z.array(z.string()),
  })
  .meta({ id: 'UploadedFile' });

export const filesResponse = z.object({ items: z.array(uploadedFile) });

export type KeySummary = z.output<typeof keySummary>;
/** The details of a stored key a save can change, as the server names them. */
export type KeyDetailField = z.output<typeof detailField>;
export type NewKey = z.input<typeof addKeyBody>;
export type AddedKey = z.output<typeof addKeyResponse>;
export type KeyListQuery = z.output<typeof listQuery>;
export type KeyPage = z.output<typeof keyPage>;
export type ImportUpload = z.input<typeof importJsonBody>;
export type ImportResult = z.output<typeof importResponse>;
export type ImportFinding = ImportResult['found'][number];
export type RevealedKey = z.output<typeof revealResponse>;
export type Backup = z.output<typeof backup>;
export type NewBackup = z.input<typeof addBackupBody>;
export type ExportRequest = z.input<typeof exportBody>;
export type UploadedFile = z.output<typeof uploadedFile>;

// ---------------------------------------------------------------------------------------------
// Organisation libraries

export const organisationAddKeyBody = addKeyBody.extend({
  assigneeEmail: z
    .email()
    .max(320)
    .optional()
    .describe("The member of the organisation who uses the device; assigns the key's device"),
});

export const revealReasons = [
  'pin-forgotten',
  'startup-key-lost',
  'tpm-or-firmware-change',
  'boot-configuration-change',
  'hardware-repair',
  'data-recovery',
  'other',
] as const;

/** A person's own reveal needs no body (one sent is ignored). */
export const personalRevealBody = z.object({}).nullish();

/** The pinned reveal body of an organisation's key; "other" needs `reasonText` (checked by the service). */
export const organisationRevealBody = z.object({
  reason: z.enum(revealReasons).describe('Why the key is needed'),
  reasonText: plainText(z.string().trim().min(1).max(500))
    .optional()
    .describe('Required with the reason "other"'),
  ticket: plainText(z.string().trim().min(1).max(200))
    .optional()
    .describe('A helpdesk ticket reference'),
});

const deviceView = z
  .object({
    id: z.string(),
    name: z.string(),
    assignee: z
      .object({ accountId: z.string(), email: z.string(), displayName: z.string() })
      .nullable(),
    rotation: z
      .enum(['none', 'required'])
      .describe(
        'required: a key of one of its drives was revealed or marked and waits to be replaced',
      ),
    rotationRequiredSince: z.string().nullable(),
    lastSeenAt: z
      .string()
      .nullable()
      .describe('When a key of the device last arrived or was confirmed'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Device' });

export const devicePage = z.object({
  items: z.array(deviceView),
  nextCursor: z.string().nullable(),
});

export const deviceListQuery = z.object({ cursor: z.string().max(400).optional() });

export const deviceResponse = z.object({
  device: deviceView.extend({
    drives: z.array(
      z.object({
        id: z.string(),
        label: z.string(),
        type: volumeType,
        volumeGuid: z.string().nullable(),
        currentKey: keySummary.nullable(),
        previousKeys: z.array(keySummary),
      }),
    ),
  }),
});

export const rotateDeviceResponse = deviceResponse.extend({
  marked: z.number().int().describe('How many keys were newly marked for rotation'),
});

export const rotateOrganisationResponse = z.object({
  marked: z.number().int().describe('How many keys were newly marked for rotation'),
});

export const assignDeviceBody = z.object({
  assigneeEmail: z.email().max(320).nullable().describe('A member of the organisation, or null'),
});

export const coverageReportQuery = z.object({
  staleDays: z.coerce
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(30)
    .describe('A device not seen for this many days counts as not seen'),
  format: z.enum(['json', 'csv']).optional().describe('csv: one row per drive'),
});

const reportDrive = z.object({
  id: z.string(),
  label: z.string(),
  type: volumeType,
  volumeGuid: z.string().nullable(),
});

const reportKey = z.object({
  keyId: z.string(),
  protectorId: z.string(),
  shortId: z.string(),
  deviceId: z.string(),
  deviceName: z.string(),
  driveLabel: z.string(),
  createdAt: z.string(),
  rotationRequiredSince: z.string().nullable(),
  provenAt: z.string().nullable(),
});

export const coverageReportResponse = z.object({
  generatedAt: z.string(),
  staleDays: z.number().int(),
  counts: z
    .object({
      devices: z.number().int(),
      drives: z.number().int(),
      drivesEscrowed: z.number().int(),
      drivesWithoutKey: z.number().int(),
      keys: z.number().int(),
      keysRotationRequired: z.number().int(),
      keysNeverProven: z.number().int(),
      devicesRotationRequired: z.number().int(),
      devicesNotSeen: z.number().int(),
    })
    .describe('Totals, whole library (the lists below stop at 1,000 items each)'),
  drivesWithoutKey: z.array(
    z.object({ deviceId: z.string(), deviceName: z.string(), drive: reportDrive }),
  ),
  keysRotationRequired: z.array(reportKey),
  keysNeverProven: z.array(reportKey),
  devicesNotSeen: z.array(
    z.object({
      deviceId: z.string(),
      deviceName: z.string(),
      assigneeEmail: z.string().nullable(),
      lastSeenAt: z.string().nullable(),
    }),
  ),
  truncated: z.boolean().describe('Whether a list stopped at 1,000 items'),
});

export type CoverageReport = z.output<typeof coverageReportResponse>;

/** The largest export an organisation imports at once (a 100,000-key Entra CSV is ~15 MiB). */
export const maximumEscrowExportBytes = 48 * 1024 * 1024;

export const escrowImportBody = z.object({
  filename: z.string().trim().min(1).max(255),
  contentBase64: z
    .string()
    .max(Math.ceil(maximumEscrowExportBytes / 3) * 4)
    .describe('The export file, base64'),
});

export const escrowImportResponse = z.object({
  format: z.enum([
    'entra-csv',
    'graph-json',
    'ad-ldif',
    'ad-json',
    'mbam-csv',
    'keyhold-json',
    'keyhold-csv',
  ]),
  dryRun: z.boolean(),
  found: z.number().int(),
  added: z.number().int().describe('Keys added (with dryRun: that would be added)'),
  skipped: z.number().int(),
  conflicts: z.number().int(),
  items: z.array(
    z.object({
      position: z.number().int().describe('Row, entry or object of the export, from 1'),
      protectorId: z.string().nullable(),
      deviceName: z.string(),
      volumeType: volumeType,
      createdAt: z.string().nullable(),
      rotationRequired: z.boolean(),
      action: z.enum(['add', 'skip', 'conflict']),
      reasonCode: z
        .enum([
          'no_key_id',
          'invalid_key_id',
          'no_recovery_password',
          'invalid_password',
          'repeated',
          'already_stored',
          'different_password',
        ])
        .optional(),
    }),
  ),
});
export type RevealReason = (typeof revealReasons)[number];
export type OrganisationReveal = z.input<typeof organisationRevealBody>;
export type OrganisationNewKey = z.input<typeof organisationAddKeyBody>;
export type DevicePage = z.output<typeof devicePage>;
export type DeviceDetail = z.output<typeof deviceResponse>['device'];
export type DeviceAssignment = z.input<typeof assignDeviceBody>;
export type DeviceRotated = z.output<typeof rotateDeviceResponse>;
export type OrganisationRotated = z.output<typeof rotateOrganisationResponse>;
export type DeviceAnswer = z.output<typeof deviceResponse>;
