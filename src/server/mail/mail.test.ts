import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Invitation } from '../../api/orgs.js';
import { createTestDatabase, databaseKinds } from '../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../test/server/harness.js';
import {
  randomKey,
  testPassword,
  uniqueEmail,
  type ErrorReply,
  type KeySummaryReply,
} from '../../../test/server/key-library.js';
import { freePort, SmtpSink, type DeliveredMail } from '../../../test/support/smtp-sink.js';
import { waitUntil } from '../../../test/support/wait.js';

const mailFlags = (smtpUrl: string) => ({
  smtpUrl,
  mailFrom: 'Keyhold <keyhold@acme.example>',
  publicUrl: 'https://keys.acme.example',
});

/** The token of the newest confirmation link mailed to `address`. */
async function confirmationToken(sink: SmtpSink, address: string, count = 1): Promise<string> {
  const mails = await sink.waitFor(address, count);
  const newest = mails.at(-1);
  const token = /\/confirm-email#token=([\w-]+)/.exec(newest?.text ?? '')?.[1];
  assert.ok(token, `a confirmation link in ${newest?.text ?? 'nothing'}`);
  return token;
}

/** Signs up with mail on and opens the link: a confirmed account, signed in. */
async function confirmedAccount(
  server: TestApp,
  sink: SmtpSink,
  email: string,
  name: string,
  language: 'en' | 'nb' = 'en',
): Promise<{ browser: TestBrowser; id: string; email: string }> {
  const browser = new TestBrowser(server.app);
  const earlier = (await sink.messages()).filter((m) => m.envelopeTo.includes(email)).length;
  const headers = { 'accept-language': language === 'nb' ? 'nb-NO' : 'en-GB' };
  const signedUp = await browser.request('POST', '/api/v1/auth/signup', {
    body: { email, password: testPassword, displayName: name },
    headers,
  });
  assert.equal(signedUp.status, 202, JSON.stringify(signedUp.body));
  const token = await confirmationToken(sink, email, earlier + 1);
  const confirmed = await browser.request('POST', '/api/v1/auth/confirm-email', {
    body: { token },
  });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
  const signedIn = await browser.signin(email, testPassword);
  assert.equal(signedIn.status, 200);
  return { browser, id: signedIn.body.account?.id ?? '', email };
}

function assertNoSecret(mail: DeliveredMail, recoveryPassword: string) {
  const digits = recoveryPassword.replaceAll('-', '');
  assert.equal(mail.raw.includes(recoveryPassword), false, 'the recovery password is not mailed');
  assert.equal(mail.raw.replace(/[\s=-]/g, '').includes(digits), false);
  for (const block of recoveryPassword.split('-').slice(0, 3)) {
    assert.equal(new RegExp(`\\b${block}-`).test(mail.text), false);
  }
}

for (const kind of databaseKinds) {
  describe(`email on ${kind.name}`, { skip: kind.skip }, () => {
    let sink: SmtpSink;
    let server: TestApp;

    before(async () => {
      sink = await SmtpSink.start();
      server = await startTestApp(kind.name, { flags: mailFlags(sink.url) });
    });
    after(async () => {
      await server.close();
      await sink.stop();
    });

    it('confirms the address of a new account before it holds keys, in its language', async () => {
      const email = uniqueEmail('kari');
      const browser = new TestBrowser(server.app);
      const signedUp = await browser.request<{ status: string; email: string }>(
        'POST',
        '/api/v1/auth/signup',
        {
          body: { email, password: testPassword, displayName: 'Kari Nordmann' },
          headers: { 'accept-language': 'nb-NO,nb;q=0.9' },
        },
      );
      assert.equal(signedUp.status, 202);
      assert.deepEqual(signedUp.body, { status: 'confirmation_sent', email });
      const [mail] = await sink.waitFor(email);
      assert.ok(mail);
      assert.equal(mail.subject, 'Bekreft e-postadressen din for Keyhold');
      assert.match(mail.text, /Hei Kari Nordmann/);
      assert.match(mail.html, /<a href="https:\/\/keys\.acme\.example\/confirm-email#token=/);
      assert.equal(mail.parsed.from?.value[0]?.address, 'keyhold@acme.example');

      const signedIn = await browser.signin(email, testPassword);
      assert.equal(signedIn.status, 200);
      const me = await browser.request<{ account: { emailConfirmed: boolean; language: string } }>(
        'GET',
        '/api/v1/auth/me',
      );
      assert.equal(me.body.account.emailConfirmed, false);
      assert.equal(me.body.account.language, 'nb');
      const refused = await browser.request<ErrorReply>('POST', '/api/v1/keys', {
        body: randomKey(),
        headers: { 'accept-language': 'nb' },
      });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'email_unconfirmed');
      assert.match(refused.body.error.message, /Bekreft e-postadressen/);

      const resent = await browser.request('POST', '/api/v1/auth/confirm-email/resend');
      assert.equal(resent.status, 202);
      const token = await confirmationToken(sink, email, 2);
      const twice = await Promise.all(
        Array.from({ length: 20 }, () =>
          new TestBrowser(server.app).request('POST', '/api/v1/auth/confirm-email', {
            body: { token },
          }),
        ),
      );
      assert.equal(twice.filter((r) => r.status === 200).length, 1, 'a link works once');
      assert.ok(twice.every((r) => r.status === 200 || r.status === 400));
      const added = await browser.request('POST', '/api/v1/keys', { body: randomKey() });
      assert.equal(added.status, 201);
    });

    it('answers a sign-up with a taken address exactly like a new one, and tells its owner', async () => {
      const email = uniqueEmail('ola');
      await confirmedAccount(server, sink, email, 'Ola');
      const again = await new TestBrowser(server.app).request('POST', '/api/v1/auth/signup', {
        body: { email, password: 'another long passphrase', displayName: 'Mallory' },
      });
      const fresh = uniqueEmail('new');
      const anew = await new TestBrowser(server.app).request('POST', '/api/v1/auth/signup', {
        body: { email: fresh, password: 'another long passphrase', displayName: 'Nina' },
      });
      assert.equal(again.status, anew.status);
      assert.deepEqual(Object.keys(again.body).sort(), Object.keys(anew.body).sort());
      assert.deepEqual(again.body, { status: 'confirmation_sent', email });
      assert.equal(again.headers['set-cookie'], anew.headers['set-cookie']);
      const mails = await sink.waitFor(email, 2);
      const attempt = mails[1];
      assert.ok(attempt);
      assert.equal(attempt.subject, 'Someone tried to create a Keyhold account with your address');
      assert.equal(attempt.text.includes('/confirm-email'), false);
      const signin = await new TestBrowser(server.app).signin(email, 'another long passphrase');
      assert.equal(signin.status, 401, 'the account kept its own password');
    });

    it('tells the assigned person and the admins who revealed which key, why, never the key', async () => {
      const admin = await confirmedAccount(server, sink, uniqueEmail('admin'), 'Anne Admin', 'nb');
      const helpdeskEmail = uniqueEmail('helpdesk');
      const helpdesk = await confirmedAccount(server, sink, helpdeskEmail, 'Henrik Helpdesk');
      const assigneeEmail = uniqueEmail('member');
      await confirmedAccount(server, sink, assigneeEmail, 'Mia Member');
      const orgId = (
        await admin.browser.request<{ organisation: { id: string } }>('POST', '/api/v1/orgs', {
          body: { name: 'Acme IT' },
        })
      ).body.organisation.id;
      for (const [email, role] of [
        [helpdeskEmail, 'helpdesk'],
        [assigneeEmail, 'member'],
      ] as const) {
        const added = await admin.browser.request('POST', `/api/v1/orgs/${orgId}/members`, {
          body: { email, role },
        });
        assert.equal(added.status, 201);
      }
      const addedMails = await sink.waitFor(assigneeEmail, 2);
      assert.equal(addedMails[1]?.subject, 'You were added to Acme IT on Keyhold');

      const key = randomKey({ deviceName: 'ACME-PC-0042' });
      const stored = await admin.browser.request<{ key: KeySummaryReply }>(
        'POST',
        `/api/v1/orgs/${orgId}/keys`,
        { body: { ...key, assigneeEmail } },
      );
      assert.equal(stored.status, 201);
      const revealed = await helpdesk.browser.request(
        'POST',
        `/api/v1/orgs/${orgId}/keys/${stored.body.key.id}/reveal`,
        { body: { reason: 'pin-forgotten', ticket: 'HD-2211' } },
      );
      assert.equal(revealed.status, 200);

      const [toAssignee] = (await sink.waitFor(assigneeEmail, 3)).slice(2);
      assert.ok(toAssignee);
      assert.equal(toAssignee.subject, 'The recovery key of ACME-PC-0042 was revealed');
      assert.match(toAssignee.text, /Henrik Helpdesk \(helpdesk\.[^)]+\) revealed/);
      assert.match(toAssignee.text, /your device ACME-PC-0042 in Acme IT/);
      assert.match(toAssignee.text, new RegExp(`Key ID: ${key.protectorId}`));
      assert.match(toAssignee.text, /Reason: startup PIN forgotten\nTicket: HD-2211/);
      assert.match(toAssignee.text, /If you did not, tell/);
      assertNoSecret(toAssignee, key.recoveryPassword);

      const adminMails = await sink.waitFor(
        (await admin.browser.request<{ account: { email: string } }>('GET', '/api/v1/auth/me')).body
          .account.email,
        2,
      );
      const toAdmin = adminMails.at(-1);
      assert.ok(toAdmin);
      assert.equal(toAdmin.subject, 'Gjenopprettingsnøkkelen til ACME-PC-0042 ble vist');
      assert.match(toAdmin.text, /Grunn: glemt oppstarts-PIN\nSak: HD-2211/);
      assertNoSecret(toAdmin, key.recoveryPassword);
      assert.equal(
        (await sink.messages()).filter((m) => m.envelopeTo.includes(helpdeskEmail)).length,
        2,
        'the person who revealed gets no notice of their own reveal (only the sign-up and added mails)',
      );

      // With approval required, the approvers hear of the request and the requester of the decision.
      await admin.browser.request('PATCH', `/api/v1/orgs/${orgId}/policies`, {
        body: { requireApproval: true, notifyAdmins: false },
      });
      const asked = await helpdesk.browser.request<{ approvalId: string }>(
        'POST',
        `/api/v1/orgs/${orgId}/keys/${stored.body.key.id}/reveal`,
        { body: { reason: 'hardware-repair' } },
      );
      assert.equal(asked.status, 202);
      const request = (await sink.waitFor(adminMails[0]?.envelopeTo[0] ?? '', 3)).at(-1);
      assert.match(request?.subject ?? '', /Henrik Helpdesk ber om å få se/);
      assert.match(request?.text ?? '', /\/orgs\/[\w-]+\/approvals/);
      await admin.browser.request(
        'POST',
        `/api/v1/orgs/${orgId}/approvals/${asked.body.approvalId}/approve`,
        { body: { note: 'Called back' } },
      );
      const decision = (await sink.waitFor(helpdeskEmail, 3)).at(-1);
      assert.ok(decision);
      assert.equal(decision.subject, 'Approved: the recovery key of ACME-PC-0042');
      assert.match(decision.text, /Note: Called back/);
      const used = await helpdesk.browser.request(
        'POST',
        `/api/v1/orgs/${orgId}/keys/${stored.body.key.id}/reveal`,
        { body: { reason: 'hardware-repair', approvalId: asked.body.approvalId } },
      );
      assert.equal(used.status, 200);
      const second = (await sink.waitFor(assigneeEmail, 4)).at(-1);
      assert.match(second?.text ?? '', /Approved by: Anne Admin/);
      const everything = await sink.messages();
      for (const mail of everything) assertNoSecret(mail, key.recoveryPassword);
      assert.equal(
        everything.filter((m) => m.envelopeTo.includes(adminMails[0]?.envelopeTo[0] ?? '')).length,
        3,
        'with notifyAdmins off the admin gets no second reveal notice',
      );
    });

    it('invites an address without an account, which joins once its account is confirmed', async () => {
      const admin = await confirmedAccount(server, sink, uniqueEmail('owner'), 'Owen Owner');
      const orgId = (
        await admin.browser.request<{ organisation: { id: string } }>('POST', '/api/v1/orgs', {
          body: { name: 'Fjord AS' },
        })
      ).body.organisation.id;
      const email = uniqueEmail('newcomer');
      const invited = await admin.browser.request<{ invitation: Invitation }>(
        'POST',
        `/api/v1/orgs/${orgId}/members`,
        { body: { email, role: 'helpdesk' }, headers: { 'accept-language': 'nb' } },
      );
      assert.equal(invited.status, 202, JSON.stringify(invited.body));
      assert.equal(invited.body.invitation.role, 'helpdesk');
      const [mail] = await sink.waitFor(email);
      assert.ok(mail);
      assert.equal(mail.subject, 'Invitasjon til Fjord AS i Keyhold');
      assert.match(mail.text, /som brukerstøtte/);
      assert.match(mail.text, /\/sign-up\?email=/);
      const listed = await admin.browser.request<{ invitations: Invitation[] }>(
        'GET',
        `/api/v1/orgs/${orgId}/invitations`,
      );
      assert.deepEqual(
        listed.body.invitations.map((i) => [i.email, i.role, i.invitedBy?.displayName]),
        [[email, 'helpdesk', 'Owen Owner']],
      );

      // The first mail got lost: an admin sends it again, good for another full period.
      const invitationPath = `/api/v1/orgs/${orgId}/invitations/${invited.body.invitation.id}`;
      const helper = await confirmedAccount(server, sink, uniqueEmail('helper'), 'Hedda Helpdesk');
      await admin.browser.request('POST', `/api/v1/orgs/${orgId}/members`, {
        body: { email: helper.email, role: 'helpdesk' },
      });
      const notAllowed = await helper.browser.request<ErrorReply>(
        'POST',
        `${invitationPath}/resend`,
      );
      assert.equal(notAllowed.status, 403, 'the helpdesk does not manage invitations');
      server.clock.advance(60 * 60_000);
      const resent = await admin.browser.request<{ invitation: Invitation }>(
        'POST',
        `${invitationPath}/resend`,
      );
      assert.equal(resent.status, 200, JSON.stringify(resent.body));
      assert.equal(resent.body.invitation.invitedAt, invited.body.invitation.invitedAt);
      assert.ok(
        Date.parse(resent.body.invitation.expiresAt) -
          Date.parse(invited.body.invitation.expiresAt) >=
          60 * 60_000,
        'the invitation runs for another full period from now',
      );
      const again = (await sink.waitFor(email, 2)).at(-1);
      assert.ok(again);
      assert.equal(again.subject, 'Invitation to Fjord AS on Keyhold');
      assert.match(again.text, /Owen Owner invited you to Fjord AS on Keyhold, as helpdesk/);
      const elsewhere = await helper.browser.request<ErrorReply>(
        'POST',
        `/api/v1/orgs/${orgId}/invitations/${helper.id}/resend`,
      );
      assert.equal(elsewhere.status, 403);
      const missing = await admin.browser.request<ErrorReply>(
        'POST',
        `/api/v1/orgs/${orgId}/invitations/${helper.id}/resend`,
      );
      assert.equal(missing.status, 404, 'no such invitation');

      const newcomer = await confirmedAccount(server, sink, email, 'Nora Newcomer');
      const orgs = await newcomer.browser.request<{
        organisations: { id: string; role: string }[];
      }>('GET', '/api/v1/orgs');
      assert.deepEqual(
        orgs.body.organisations.map((o) => [o.id, o.role]),
        [[orgId, 'helpdesk']],
      );
      const after = await admin.browser.request<{ invitations: Invitation[] }>(
        'GET',
        `/api/v1/orgs/${orgId}/invitations`,
      );
      assert.deepEqual(after.body.invitations, []);
    });
  });

  describe(`the mail outbox on ${kind.name}`, { skip: kind.skip }, () => {
    it('retries while the mail server is down and delivers once it is up', async () => {
      const port = await freePort();
      const server = await startTestApp(kind.name, {
        flags: mailFlags(`smtp://127.0.0.1:${port}`),
      });
      let sink: SmtpSink | undefined;
      try {
        const email = uniqueEmail('patient');
        const signedUp = await new TestBrowser(server.app).request('POST', '/api/v1/auth/signup', {
          body: { email, password: testPassword, displayName: 'Pat' },
        });
        assert.equal(signedUp.status, 202);
        const failed = await waitUntil(
          async () => {
            const row = await server.ctx.db
              .selectFrom('mail_outbox')
              .select(['attempts', 'last_error', 'next_attempt_at'])
              .executeTakeFirst();
            return row && row.attempts >= 1 && row.last_error !== null ? row : undefined;
          },
          'a failed delivery attempt recorded',
          { timeoutMs: 30_000, everyMs: 100 },
        );
        assert.match(failed.last_error ?? '', /ECONNREFUSED/);
        sink = await SmtpSink.start(port);
        server.clock.advance(60_000);
        const [mail] = await sink.waitFor(email);
        assert.equal(mail?.subject, 'Confirm your email address for Keyhold');
        const row = await server.ctx.db
          .selectFrom('mail_outbox')
          .select(['attempts', 'sent_at'])
          .executeTakeFirstOrThrow();
        assert.ok(row.sent_at);
        assert.ok(row.attempts >= 2);
      } finally {
        await server.close();
        await sink?.stop();
      }
    });

    it('keeps queued mail across a restart and sends it after', async () => {
      const port = await freePort();
      const database = await createTestDatabase(kind.name);
      const first = await startTestApp(kind.name, {
        flags: mailFlags(`smtp://127.0.0.1:${port}`),
        database,
      });
      const email = uniqueEmail('restart');
      await new TestBrowser(first.app).request('POST', '/api/v1/auth/signup', {
        body: { email, password: testPassword, displayName: 'Rita' },
      });
      await first.close();
      const queued = database.open();
      const waiting = await queued.db
        .selectFrom('mail_outbox')
        .select(['recipient', 'sent_at'])
        .execute();
      await queued.close();
      assert.deepEqual(waiting, [{ recipient: email, sent_at: null }]);

      const sink = await SmtpSink.start(port);
      const second = await startTestApp(kind.name, {
        flags: mailFlags(`smtp://127.0.0.1:${port}`),
        database,
      });
      try {
        second.clock.advance(60 * 60_000);
        const [mail] = await sink.waitFor(email);
        assert.equal(mail?.subject, 'Confirm your email address for Keyhold');
      } finally {
        await second.close();
        await sink.stop();
        await database.cleanup();
      }
    });
  });
}
