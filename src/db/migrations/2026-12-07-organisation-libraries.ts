import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Organisation libraries: a device may be assigned to a person of its organisation, memberships
 * gain the `auditor` role, and each organisation keeps its reveal policies (self-service reveals
 * by members, approval of helpdesk reveals, telling the assigned person).
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .alterTable('devices')
    .addColumn('assigned_user_id', 'text', (col) => col.references('users.id').onDelete('set null'))
    .execute();
  // A member's view of the library: the devices assigned to them.
  await db.schema
    .createIndex('devices_assigned')
    .on('devices')
    .columns(['owner_org_id', 'assigned_user_id'])
    .where(sql.ref('assigned_user_id'), 'is not', null)
    .execute();

  await db.schema
    .alterTable('organisations')
    .addColumn('self_service_reveal', 'integer', (col) => col.notNull().defaultTo(1))
    .execute();
  await db.schema
    .alterTable('organisations')
    .addColumn('require_approval', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('organisations')
    .addColumn('notify_assignee', 'integer', (col) => col.notNull().defaultTo(1))
    .execute();

  await widenRoles(db, dialect);
}

const roles = sql`role in ('owner', 'admin', 'helpdesk', 'member', 'auditor')`;

/** A check constraint cannot be altered in SQLite: there the table is rebuilt with the new one. */
async function widenRoles(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') {
    await sql`alter table memberships drop constraint memberships_role`.execute(db);
    await db.schema
      .alterTable('memberships')
      .addCheckConstraint('memberships_role', roles)
      .execute();
    return;
  }
  await db.schema
    .createTable('memberships_widened')
    .addColumn('organisation_id', 'text', (col) =>
      col.notNull().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('memberships_pk', ['organisation_id', 'user_id'])
    .addCheckConstraint('memberships_role', roles)
    .execute();
  await sql`insert into memberships_widened select organisation_id, user_id, role, created_at, updated_at from memberships`.execute(
    db,
  );
  await db.schema.dropTable('memberships').execute();
  await db.schema.alterTable('memberships_widened').renameTo('memberships').execute();
  await db.schema.createIndex('memberships_user').on('memberships').column('user_id').execute();
}
