import type { Generated } from 'kysely';
import { backupDestinations, volumeTypes } from '../api/keys.js';
import { membershipRoles } from '../api/orgs.js';

/**
 * The tables as Kysely sees them. Both databases store the same shapes: ids are UUIDv7 text,
 * timestamps are ISO 8601 UTC strings (they compare and sort correctly as text on both), binary
 * values are Buffers (SQLite BLOB, PostgreSQL bytea) and flags are nullable timestamps.
 */
export interface DatabaseSchema {
  users: UsersTable;
  browsers: BrowsersTable;
  sessions: SessionsTable;
  signin_challenges: SigninChallengesTable;
  recovery_codes: RecoveryCodesTable;
  credential_attempts: CredentialAttemptsTable;
  organisations: OrganisationsTable;
  memberships: MembershipsTable;
  sealed_secrets: SealedSecretsTable;
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
  devices: DevicesTable;
  device_terms: DeviceTermsTable;
  volumes: VolumesTable;
  recovery_keys: RecoveryKeysTable;
  key_backups: KeyBackupsTable;
  uploaded_files: UploadedFilesTable;
  uploaded_file_keys: UploadedFileKeysTable;
  vault_unlocks: VaultUnlocksTable;
  feedback: FeedbackTable;
  device_authorizations: DeviceAuthorizationsTable;
  api_tokens: ApiTokensTable;
  passkeys: PasskeysTable;
  webauthn_challenges: WebauthnChallengesTable;
  enrollment_tokens: EnrollmentTokensTable;
  enrolled_devices: EnrolledDevicesTable;
  device_challenges: DeviceChallengesTable;
  device_access_tokens: DeviceAccessTokensTable;
  organisation_escrow_keys: OrganisationEscrowKeysTable;
}

export interface UsersTable {
  id: string;
  email: string;
  /** Lower-cased and trimmed: the unique key that sign-in looks up. */
  email_normalized: string;
  display_name: string;
  password_hash: string;
  password_changed_at: string;
  /** Set once TOTP is confirmed; the secret itself is a sealed secret of kind `totp`. */
  totp_enabled_at: string | null;
  /** The newest accepted TOTP time step, so a code cannot be used twice. */
  totp_last_step: number | null;
  created_at: string;
  updated_at: string;
}

/** A browser (or other cookie-keeping client) that can hold sessions for several accounts. */
export interface BrowsersTable {
  id: string;
  /** SHA-256 of the browser cookie's token; the token itself is never stored. */
  token_hash: string;
  csrf_token: string;
  user_agent: string | null;
  created_at: string;
  last_seen_at: string;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  browser_id: string;
  created_at: string;
  last_used_at: string;
  /** The absolute end (30 days after sign-in); the idle limit is computed from last_used_at. */
  expires_at: string;
  revoked_at: string | null;
  revoke_reason: string | null;
  /** Set when the person removes the account from the browser's picker. */
  forgotten_at: string | null;
  ip_address: string | null;
  user_agent: string | null;
}

/** The state between a correct password and the second factor. */
export interface SigninChallengesTable {
  id: string;
  token_hash: string;
  user_id: string;
  created_at: string;
  expires_at: string;
  failed_attempts: number;
}

export interface RecoveryCodesTable {
  id: string;
  user_id: string;
  code_hash: string;
  created_at: string;
  used_at: string | null;
}

/** Failure counters behind the growing lock-outs, shared by every server process. */
export interface CredentialAttemptsTable {
  key: string;
  attempts: number;
  lockouts: number;
  last_attempt_at: string;
  locked_until: string | null;
}

export interface OrganisationsTable {
  id: string;
  name: string;
  /** 1: members may reveal the keys of devices assigned to them. */
  self_service_reveal: Generated<number>;
  /** 1: a helpdesk reveal waits for an admin's or a second helpdesk person's approval. */
  require_approval: Generated<number>;
  /** 1: the person a device is assigned to is told when its key is revealed. */
  notify_assignee: Generated<number>;
  created_at: string;
  updated_at: string;
}

export { membershipRoles };
export type MembershipRole = (typeof membershipRoles)[number];

export interface MembershipsTable {
  organisation_id: string;
  user_id: string;
  role: MembershipRole;
  created_at: string;
  updated_at: string;
}

/**
 * Every secret at rest, whatever feature owns it. A row belongs to a user, an organisation or
 * (both empty) the server itself; `kind` + `bound_id` name the row it belongs to. Keeping them
 * in one table lets master key rotation re-wrap every data key in one pass.
 */
export interface SealedSecretsTable {
  id: string;
  owner_user_id: string | null;
  owner_org_id: string | null;
  kind: string;
  bound_id: string;
  key_version: number;
  wrapped_key: Buffer;
  ciphertext: Buffer;
  created_at: string;
  updated_at: string;
}

export interface AuditEventsTable {
  id: string;
  /** Position in the hash chain; internal only (ids in URLs stay random). */
  seq: number;
  at: string;
  action: string;
  actor_user_id: string | null;
  subject_user_id: string | null;
  organisation_id: string | null;
  ip_address: string | null;
  user_agent: string | null;
  /** JSON text; never holds a secret. */
  details: string;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  /** Always 1: the one row that holds the end of the chain. */
  id: number;
  last_seq: number;
  last_hash: string;
}

export interface DevicesTable {
  id: string;
  owner_user_id: string | null;
  owner_org_id: string | null;
  name: string;
  /** Trimmed, NFKC, lower case: one device per owner and name. */
  name_normalized: string;
  /** The person of the organisation who uses the device (organisation devices only). */
  assigned_user_id: string | null;
  /** The newest time a key of the device arrived or was confirmed; null before any did. */
  last_seen_at: string | null;
  created_at: string;
  updated_at: string;
}

/** The words of a device name and the whole name, normalized, for device-name search. */
export interface DeviceTermsTable {
  device_id: string;
  owner_user_id: string | null;
  owner_org_id: string | null;
  term: string;
}

export { volumeTypes };
export type VolumeType = (typeof volumeTypes)[number];

export interface VolumesTable {
  id: string;
  owner_user_id: string | null;
  owner_org_id: string | null;
  device_id: string;
  /** The drive letter, mount point or label the person knows the volume by. */
  label: string;
  type: VolumeType;
  volume_guid: string | null;
  /** JSON array of the protector types an enrolled device last reported; null when never. */
  protector_types: string | null;
  created_at: string;
  updated_at: string;
}

export { backupDestinations };
export type BackupDestination = (typeof backupDestinations)[number];

/** A recovery key; its password is the sealed secret of kind `recovery_password` bound to `id`. */
export interface RecoveryKeysTable {
  id: string;
  owner_user_id: string | null;
  owner_org_id: string | null;
  /** The key protector ID as 32 upper-case hex digits without dashes. */
  protector_hex: string;
  volume_id: string;
  source: string;
  backup_count: number;
  last_backup_destination: BackupDestination | null;
  last_backup_at: string | null;
  /** The newest backup to a file, USB drive or paper; null when there is none. */
  offline_backup_at: string | null;
  in_vault_at: string | null;
  deleted_at: string | null;
  created_at: string;
  updated_at: string;
  /**
   * Since when the key must be replaced (an organisation's key once revealed, or marked by an
   * admin); cleared when a newer key for the same drive arrives.
   */
  rotation_required_at: string | null;
  /** When the key was last shown to unlock its volume (read from it by the CLI or agent). */
  proven_at: string | null;
}

export interface KeyBackupsTable {
  id: string;
  key_id: string;
  destination: BackupDestination;
  note: string | null;
  actor_user_id: string | null;
  at: string;
}

/** An uploaded key file; its bytes are the sealed secret of kind `uploaded_file` bound to `id`. */
export interface UploadedFilesTable {
  id: string;
  owner_user_id: string | null;
  owner_org_id: string | null;
  file_name: string;
  size: number;
  format: string;
  in_vault_at: string | null;
  created_at: string;
}

export interface UploadedFileKeysTable {
  file_id: string;
  key_id: string;
}

/** A session whose vault is open; it locks when last_activity_at is older than the idle limit. */
export interface VaultUnlocksTable {
  session_id: string;
  user_id: string;
  unlocked_at: string;
  last_activity_at: string;
}

export interface FeedbackTable {
  id: string;
  article: string;
  /** 1 helpful, 0 not helpful (an integer on both databases). */
  helpful: number;
  language_quality: number | null;
  /** JSON array of reason codes. */
  reasons: string;
  comment: string | null;
  language: string | null;
  user_id: string | null;
  created_at: string;
}

/** A command-line client waiting for a person to approve it (RFC 8628 device authorization). */
export interface DeviceAuthorizationsTable {
  id: string;
  /** SHA-256 of the device code the client polls with. */
  device_code_hash: string;
  /** The code the person types, normalized: 8 letters without the dash. */
  user_code: string;
  client_id: string;
  scope: string;
  /** The client's own description, e.g. "keyhold on ola-laptop"; shown before approving. */
  device_name: string;
  ip_address: string | null;
  user_agent: string | null;
  status: 'pending' | 'approved' | 'denied' | 'issued';
  /** The account that approved or denied it. */
  user_id: string | null;
  interval_seconds: number;
  last_polled_at: string | null;
  created_at: string;
  expires_at: string;
  decided_at: string | null;
}

/** A bearer token for key operations, issued to an approved device. */
export interface ApiTokensTable {
  id: string;
  user_id: string;
  /** SHA-256 of the token; the token itself is only ever in the client's hands. */
  token_hash: string;
  name: string;
  scope: string;
  client_id: string;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  last_ip_address: string | null;
  user_agent: string | null;
  revoked_at: string | null;
}

/** A passkey (WebAuthn credential) an account signs in or confirms presence with. */
export interface PasskeysTable {
  id: string;
  user_id: string;
  /** The authenticator's credential ID, base64url. */
  credential_id: string;
  /** COSE public key. */
  public_key: Buffer;
  sign_count: number;
  /** JSON array of the transports the authenticator reported (usb, internal, ...). */
  transports: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

export type WebauthnPurpose = 'register' | 'signin' | 'second_factor' | 'presence';

/** A challenge handed to the browser for one WebAuthn ceremony; deleted when used. */
export interface WebauthnChallengesTable {
  id: string;
  challenge: string;
  purpose: WebauthnPurpose;
  user_id: string | null;
  created_at: string;
  expires_at: string;
}

/** A secret an organisation hands to its computers so they can enroll themselves. */
export interface EnrollmentTokensTable {
  id: string;
  organisation_id: string;
  name: string;
  /** SHA-256 of the token; the token itself is shown once, when it is created. */
  token_hash: string;
  /** 1 for a one-time token. */
  max_uses: number;
  uses: Generated<number>;
  /** The member enrolled devices are assigned to. */
  assign_user_id: string | null;
  created_by: string | null;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

export type EnrolledDeviceStatus = 'active' | 'retired' | 'replaced';

/** The credential of an enrolled computer: its public key, tied to a device of the library. */
export interface EnrolledDevicesTable {
  id: string;
  organisation_id: string;
  device_id: string;
  enrollment_token_id: string | null;
  /** The device's public key as a JWK (JSON text). */
  public_key: string;
  hostname: string;
  os: string;
  hardware_id: string;
  status: EnrolledDeviceStatus;
  /** The highest request sequence accepted from the device; a lower or equal one is a replay. */
  last_sequence: Generated<number>;
  last_seen_at: string | null;
  created_at: string;
  retired_at: string | null;
}

/** A one-time challenge an enrolled device signs for an access token; deleted when used. */
export interface DeviceChallengesTable {
  challenge_hash: string;
  enrolled_device_id: string;
  expires_at: string;
}

/** A short-lived access token issued to an enrolled device for a signed challenge. */
export interface DeviceAccessTokensTable {
  token_hash: string;
  enrolled_device_id: string;
  expires_at: string;
}

/** The public half of an organisation's escrow key; the private half is a sealed secret. */
export interface OrganisationEscrowKeysTable {
  organisation_id: string;
  /** SPKI PEM. */
  public_key: string;
  created_at: string;
}
