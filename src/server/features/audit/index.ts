export {
  auditEventColumns,
  linkedEventStatement,
  type LinkedEvent,
  type LinkedWritesDb,
} from './repo.js';
export {
  AuditLog,
  loadAuditKey,
  serverActor,
  type AuditActor,
  type AuditEvent,
  type AuditVerification,
} from './service.js';
