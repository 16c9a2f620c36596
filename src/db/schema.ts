import type { Generated } from 'kysely';
import { backupDestinations, keyKinds, volumeTypes } from '../api/keys.js';
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
  organisation_sso: OrganisationSsoTable;
  organisation_domains: OrganisationDomainsTable;
  sso_identities: SsoIdentitiesTable;
  sso_signin_states: SsoSigninStatesTable;
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
  reveal_approvals: RevealApprovalsTable;
  mail_outbox: MailOutboxTable;
  email_confirmations: EmailConfirmationsTable;
  organisation_invitations: OrganisationInvitationsTable;

  enrollment_tokens: EnrollmentTokensTable;
  enrolled_devices: EnrolledDevicesTable;
  ended_enrollments: EndedEnrollmentsTable;
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
  /** `en` or `nb`: the language of the mail the account gets (null: English). */
  language: string | null;
  /**
   * Set when the account signed up while the server sends mail, until the address is confirmed:
   * until then the account holds no keys and joins no organisation.
   */
  email_unconfirmed_since: string | null;
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
  /** An approved reveal request lapses this many hours after it was approved. */
  approval_lifetime_hours: Generated<number>;
  /** 1: the organisation's owners and admins are told of every reveal of its keys. */
  notify_admins: Generated<number>;
  /** 1: enrolled devices add a recovery password protector to a drive that has none. */
  ensure_recovery_password: Generated<number>;
  /** Comma-separated roles that need a second factor to use the library ('' for none). */
  second_factor_roles: Generated<string>;
  /** Minutes after sign-in a reveal needs no step-up; null: the server's `--step-up-minutes`. */
  step_up_minutes: number | null;
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

export { keyKinds };
export type KeyKind = (typeof keyKinds)[number];

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
  /** A BitLocker recovery password, or a LUKS recovery passphrase in a key slot. */
  kind: KeyKind;
  /** For a LUKS key: the volume's LUKS UUID as 32 upper-case hex digits without dashes. */
  luks_uuid_hex: string | null;
  /** For a LUKS key: the key slot (0-31) that holds it. */
  luks_slot: number | null;
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

export type ApprovalState = 'pending' | 'approved' | 'denied';

/**
 * A helpdesk person's request to reveal an organisation's key, waiting for (or given) a second
 * person's decision. An approved request lets its requester reveal the key once (`used_at`)
 * until `expires_at`.
 */
export interface RevealApprovalsTable {
  id: string;
  organisation_id: string;
  key_id: string;
  requester_user_id: string;
  reason: string;
  reason_text: string | null;
  ticket: string | null;
  state: ApprovalState;
  decided_by_user_id: string | null;
  decided_at: string | null;
  decision_note: string | null;
  expires_at: string | null;
  used_at: string | null;
  created_at: string;
}
/** An organisation's OpenID provider; its client secret is a sealed secret of kind `sso_client_secret`. */
export interface OrganisationSsoTable {
  organisation_id: string;
  issuer: string;
  client_id: string;
  enabled: number;
  require_sso: number;
  default_role: MembershipRole;
  /** The ID token (or userinfo) claim that lists the person's groups; null: no mapping. */
  groups_claim: string | null;
  /** JSON object from group name to role. */
  group_roles: string;
  created_at: string;
  updated_at: string;
}

/** An email domain an organisation claims; sign-in goes to its provider once an owner verified it. */
export interface OrganisationDomainsTable {
  domain: string;
  organisation_id: string;
  verified_at: string | null;
  verified_by: string | null;
  created_at: string;
}

/** A provider account (issuer and subject) linked to a Keyhold account through an organisation. */
export interface SsoIdentitiesTable {
  organisation_id: string;
  issuer: string;
  subject: string;
  user_id: string;
  created_at: string;
  last_signin_at: string;
}

/** A sign-in sent to a provider and not back yet; deleted as the answer is taken. */
export interface SsoSigninStatesTable {
  id: string;
  state_hash: string;
  browser_binding_hash: string;
  organisation_id: string;
  nonce: string;
  code_verifier: string;
  redirect_uri: string;
  next_path: string | null;
  created_at: string;
  expires_at: string;
}

/**
 * A message waiting to be sent, or sent. Rendered when queued (so a restart sends exactly what
 * was meant); it never holds a secret. The sender claims a row until `claimed_until`, so two
 * server processes never send it at once.
 */
export interface MailOutboxTable {
  id: string;
  recipient: string;
  subject: string;
  text_body: string;
  html_body: string;
  created_at: string;
  attempts: Generated<number>;
  next_attempt_at: string;
  claimed_until: string | null;
  /** The SMTP server's last refusal or the connection error, for the operator. */
  last_error: string | null;
  sent_at: string | null;
  /** Given up after the last retry. */
  failed_at: string | null;
}

/** A link that confirms an account's address; the token itself is only in the email. */
export interface EmailConfirmationsTable {
  id: string;
  user_id: string;
  /** SHA-256 of the token. */
  token_hash: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/**
 * An organisation's invitation to an address without a confirmed account: it becomes a
 * membership when the address's account is confirmed.
 */
export interface OrganisationInvitationsTable {
  id: string;
  organisation_id: string;
  email: string;
  email_normalized: string;
  role: MembershipRole;
  invited_by_user_id: string | null;
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
  /**
   * When the server issued the newest challenge the device signed (ms since the epoch): a
   * challenge issued no later than this was used or skipped, so an assertion over it is a replay.
   */
  last_challenge_ms: Generated<number>;
  last_seen_at: string | null;
  created_at: string;
  retired_at: string | null;
}

/**
 * An enrollment that ended (retired, or replaced by a new enrollment of the computer): every
 * server process keeps this list in memory to refuse the device's signed access tokens.
 */
export interface EndedEnrollmentsTable {
  enrolled_device_id: string;
  ended_at: string;
}

/** The public half of an organisation's escrow key; the private half is a sealed secret. */
export interface OrganisationEscrowKeysTable {
  organisation_id: string;
  /** SPKI PEM. */
  public_key: string;
  created_at: string;
}
