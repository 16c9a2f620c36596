import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../../test/server/harness.js';
import { newId } from '../../../db/ids.js';
import { organisationOwner, ownerColumns, userOwner } from '../../../db/owners.js';
import type { MembershipRole } from '../../../db/schema.js';
import {
  authorize,
  may,
  organisationLibrary,
  personalLibrary,
  type LibraryAction,
  type Principal,
} from '../../policies.js';
import type { ErrorBody as ErrorReply } from '../../../api/errors.js';
import type { Member } from '../../../api/orgs.js';

const password = 'violet tractor umbrella';

for (const kind of databaseKinds) {
  describe(`organisations on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    let owner: TestBrowser;
    let admin: TestBrowser;
    let member: TestBrowser;
    let outsider: TestBrowser;
    const ids: Record<string, string> = {};
    let orgId = '';

    before(async () => {
      server = await startTestApp(kind.name);
      owner = new TestBrowser(server.app);
      admin = new TestBrowser(server.app);
      member = new TestBrowser(server.app);
      outsider = new TestBrowser(server.app);
      ids.owner = await owner.signup('owner@acme.example', password, 'Olive Owner');
      ids.admin = await admin.signup('admin@acme.example', password, 'Adam Admin');
      ids.member = await member.signup('member@acme.example', password, 'Mia Member');
      ids.outsider = await outsider.signup('outsider@other.example', password, 'Otto');
    });
    after(() => server.close());

    it('creates an organisation whose creator is its owner', async () => {
      const created = await owner.request<{ organisation: { id: string; role: string } }>(
        'POST',
        '/api/v1/orgs',
        { body: { name: 'Acme IT' } },
      );
      assert.equal(created.status, 201);
      assert.equal(created.body.organisation.role, 'owner');
      orgId = created.body.organisation.id;
      const listed = await owner.request<{ organisations: { name: string }[] }>(
        'GET',
        '/api/v1/orgs',
      );
      assert.deepEqual(
        listed.body.organisations.map((o) => o.name),
        ['Acme IT'],
      );
      const me = await owner.request<{ memberships: { organisationName: string; role: string }[] }>(
        'GET',
        '/api/v1/auth/me',
      );
      assert.deepEqual(me.body.memberships, [
        { organisationId: orgId, organisationName: 'Acme IT', role: 'owner' },
      ]);
    });

    it('lets owners and admins add members, and only owners make owners', async () => {
      const addAdmin = await owner.request<{ member: Member }>(
        'POST',
        `/api/v1/orgs/${orgId}/members`,
        { body: { email: 'ADMIN@acme.example', role: 'admin' } },
      );
      assert.equal(addAdmin.status, 201);
      assert.deepEqual(addAdmin.body.member.role, 'admin');

      const adminMakesOwner = await admin.request<ErrorReply>(
        'POST',
        `/api/v1/orgs/${orgId}/members`,
        { body: { email: 'member@acme.example', role: 'owner' } },
      );
      assert.equal(adminMakesOwner.status, 403);
      const adminAddsMember = await admin.request('POST', `/api/v1/orgs/${orgId}/members`, {
        body: { email: 'member@acme.example', role: 'member' },
      });
      assert.equal(adminAddsMember.status, 201);

      const twice = await admin.request<ErrorReply>('POST', `/api/v1/orgs/${orgId}/members`, {
        body: { email: 'member@acme.example', role: 'helpdesk' },
      });
      assert.equal(twice.status, 409);
      const nobody = await admin.request<ErrorReply>('POST', `/api/v1/orgs/${orgId}/members`, {
        body: { email: 'nobody@acme.example', role: 'member' },
      });
      assert.equal(nobody.status, 404);

      const memberAdds = await member.request<ErrorReply>('POST', `/api/v1/orgs/${orgId}/members`, {
        body: { email: 'outsider@other.example', role: 'member' },
      });
      assert.equal(memberAdds.status, 403);

      const members = await member.request<{ members: Member[] }>(
        'GET',
        `/api/v1/orgs/${orgId}/members`,
      );
      assert.deepEqual(
        members.body.members.map((m) => [m.accountId, m.role]),
        [
          [ids.admin, 'admin'],
          [ids.member, 'member'],
          [ids.owner, 'owner'],
        ],
      );
    });

    it('hides the organisation from non-members exactly like a missing one', async () => {
      const foreign = await outsider.request<ErrorReply>('GET', `/api/v1/orgs/${orgId}`);
      const missing = await outsider.request<ErrorReply>('GET', `/api/v1/orgs/${newId()}`);
      assert.equal(foreign.status, 404);
      assert.deepEqual(foreign.body, missing.body);
      const members = await outsider.request('GET', `/api/v1/orgs/${orgId}/members`);
      assert.equal(members.status, 404);
    });

    it('changes roles and removes members, always keeping an owner', async () => {
      const promote = await admin.request<{ member: Member }>(
        'PATCH',
        `/api/v1/orgs/${orgId}/members/${ids.member}`,
        { body: { role: 'helpdesk' } },
      );
      assert.equal(promote.body.member.role, 'helpdesk');
      const demoteOwner = await admin.request(
        'PATCH',
        `/api/v1/orgs/${orgId}/members/${ids.owner}`,
        { body: { role: 'member' } },
      );
      assert.equal(demoteOwner.status, 403);
      const lastOwner = await owner.request<ErrorReply>(
        'PATCH',
        `/api/v1/orgs/${orgId}/members/${ids.owner}`,
        { body: { role: 'admin' } },
      );
      assert.equal(lastOwner.status, 409);
      assert.match(lastOwner.body.error.message, /at least one owner/);
      const ownerLeaves = await owner.request(
        'DELETE',
        `/api/v1/orgs/${orgId}/members/${ids.owner}`,
      );
      assert.equal(ownerLeaves.status, 409);

      const removed = await admin.request('DELETE', `/api/v1/orgs/${orgId}/members/${ids.member}`);
      assert.equal(removed.status, 204);
      assert.equal((await member.request('GET', `/api/v1/orgs/${orgId}`)).status, 404);
      const adminLeaves = await admin.request(
        'DELETE',
        `/api/v1/orgs/${orgId}/members/${ids.admin}`,
      );
      assert.equal(adminLeaves.status, 204);

      // The removed member still reads what was done to their account.
      const audit = await member.request<{ events: { action: string }[] }>('GET', '/api/v1/audit');
      assert.deepEqual(audit.body.events.map((e) => e.action).slice(0, 3), [
        'member_removed',
        'member_role_changed',
        'member_added',
      ]);
    });

    it('scopes owned rows to the caller and the organisations where the role allows', async () => {
      const db = server.ctx.db;
      const at = new Date().toISOString();
      const otherOrg = newId();
      await db
        .insertInto('organisations')
        .values({ id: otherOrg, name: 'Elsewhere', created_at: at, updated_at: at })
        .execute();
      const rows = [
        ['mine', userOwner(ids.owner ?? '')],
        ['someone else', userOwner(ids.outsider ?? '')],
        ['my organisation', organisationOwner(orgId)],
        ['another organisation', organisationOwner(otherOrg)],
      ] as const;
      for (const [label, owner] of rows) {
        await db
          .insertInto('sealed_secrets')
          .values({
            id: newId(),
            ...ownerColumns(owner),
            kind: 'scope-test',
            bound_id: label,
            key_version: 1,
            wrapped_key: Buffer.alloc(1),
            ciphertext: Buffer.alloc(1),
            created_at: at,
            updated_at: at,
          })
          .execute();
      }
      /** The rows a principal reaches with `action` in each library it may try. */
      const visible = async (principal: Principal, action: LibraryAction = 'delete') => {
        const reached: string[] = [];
        for (const library of [
          personalLibrary(ids.owner ?? ''),
          personalLibrary(ids.outsider ?? ''),
          organisationLibrary(orgId),
          organisationLibrary(otherOrg),
        ]) {
          if (!may(principal, action, library)) continue;
          const { owner } = authorize(principal, action, library);
          const columns = ownerColumns(owner);
          const rows = await db
            .selectFrom('sealed_secrets')
            .select('bound_id')
            .where('kind', '=', 'scope-test')
            .where((eb) =>
              columns.owner_user_id !== null
                ? eb('owner_user_id', '=', columns.owner_user_id)
                : eb('owner_org_id', '=', columns.owner_org_id ?? ''),
            )
            .execute();
          reached.push(...rows.map((row) => row.bound_id));
        }
        return reached.sort();
      };
      const principal = (memberships: [string, MembershipRole][]): Principal => ({
        accountId: ids.owner ?? '',
        memberships: new Map(memberships),
      });
      assert.deepEqual(await visible(principal([[orgId, 'owner']])), ['mine', 'my organisation']);
      assert.deepEqual(await visible(principal([[orgId, 'helpdesk']])), ['mine']);
      assert.deepEqual(await visible(principal([])), ['mine']);
      assert.deepEqual(await visible(principal([[orgId, 'helpdesk']]), 'reveal'), [
        'mine',
        'my organisation',
      ]);
      assert.equal(
        may(principal([[orgId, 'helpdesk']]), 'manage', organisationLibrary(orgId)),
        false,
      );
      assert.equal(may(principal([]), 'read', personalLibrary(ids.outsider ?? '')), false);
    });
  });
}
