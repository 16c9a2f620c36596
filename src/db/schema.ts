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
  created_at: string;
  updated_at: string;
}

export const membershipRoles = ['owner', 'admin', 'helpdesk', 'member'] as const;
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
