import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../../test/server/harness.js';
import { testPassword, uniqueEmail, type ErrorReply } from '../../../../test/server/key-library.js';
import type { FeedbackReport as ReportReply } from '../../../api/feedback.js';

for (const kind of databaseKinds) {
  describe(`help-article feedback on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    const admin = uniqueEmail('admin');
    before(async () => {
      server = await startTestApp(kind.name, { flags: { serverAdmins: `x@example.org,${admin}` } });
    });
    after(() => server.close());

    it('takes answers without an account and totals them for server administrators', async () => {
      const reader = new TestBrowser(server.app);
      const answers = [
        { article: 'recovery-screen', helpful: true, languageQuality: 5, reasons: ['clear'] },
        { article: 'recovery-screen', helpful: false, languageQuality: 2, comment: ' Too long ' },
        { article: 'back-up-recovery-key', helpful: true },
      ];
      for (const answer of answers) {
        const response = await reader.request('POST', '/api/v1/feedback', { body: answer });
        assert.equal(response.status, 201);
      }

      const member = new TestBrowser(server.app);
      await member.signup(uniqueEmail('member'), testPassword);
      const refused = await member.request<ErrorReply>('GET', '/api/v1/admin/feedback');
      assert.equal(refused.status, 403);
      assert.equal((await reader.request('GET', '/api/v1/admin/feedback')).status, 401);

      const administrator = new TestBrowser(server.app);
      await administrator.signup(admin.toUpperCase(), testPassword);
      const report = await administrator.request<ReportReply>('GET', '/api/v1/admin/feedback');
      assert.equal(report.status, 200);
      assert.deepEqual(report.body.summary.byArticle, [
        {
          article: 'back-up-recovery-key',
          answers: 1,
          helpful: 1,
          notHelpful: 0,
          averageLanguageQuality: null,
        },
        {
          article: 'recovery-screen',
          answers: 2,
          helpful: 1,
          notHelpful: 1,
          averageLanguageQuality: 3.5,
        },
      ]);
      assert.equal(report.body.items.find((item) => !item.helpful)?.comment, 'Too long');
    });

    it('never stores a recovery key written into a comment', async () => {
      const reader = new TestBrowser(server.app);
      const key = '235818 357951 253979 013365 241120 245575 342914 591910';
      const sent = await reader.request<{ keysRemoved: number }>('POST', '/api/v1/feedback', {
        body: { article: 'key-in-comment', helpful: false, comment: `Mine is ${key}, help` },
      });
      assert.equal(sent.status, 201);
      assert.equal(sent.body.keysRemoved, 1);

      const administrator = new TestBrowser(server.app);
      await administrator.signin(admin, testPassword);
      const report = await administrator.request<ReportReply>(
        'GET',
        '/api/v1/admin/feedback?article=key-in-comment',
      );
      assert.deepEqual(
        report.body.items.map((item) => item.comment),
        ['Mine is […], help'],
      );
      const stored = await server.ctx.db.selectFrom('feedback').select('comment').execute();
      assert.ok(stored.every((row) => !row.comment?.includes('357951')));
    });

    it('refuses malformed answers and slows down a flood from one address', async () => {
      const reader = new TestBrowser(server.app);
      const bad = await reader.request<ErrorReply>('POST', '/api/v1/feedback', {
        body: { article: 'recovery-screen', helpful: true, languageQuality: 9 },
      });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /languageQuality/);

      const statuses: number[] = [];
      for (let i = 0; i < 32; i++) {
        const response = await reader.request('POST', '/api/v1/feedback', {
          body: { article: 'recovery-screen', helpful: true },
        });
        statuses.push(response.status);
      }
      assert.ok(statuses.slice(0, 30).every((status) => status === 201));
      assert.equal(statuses.at(-1), 429);
    });
  });
}
