export {
  AuditLog,
  loadAuditKey,
  serverActor,
  type AuditActor,
  type AuditEvent,
  type AuditVerification,
} from './service.js';
