import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createTestDatabase,
  databaseKinds,
  type TestDatabase,
} from '../../../test/server/databases.js';
import type { Database } from '../database.js';
import { newId } from '../ids.js';
import { migrateUpTo } from '../migrate.js';

for (const kind of databaseKinds) {
  describe(`upgrading stored feedback on ${kind.name}`, { skip: kind.skip }, () => {
    let testDb: TestDatabase;
    let database: Database;
    before(async () => {
      testDb = await createTestDatabase(kind.name);
      database = testDb.open();
    });
    after(async () => {
      await database.close();
      await testDb.cleanup();
    });

    it('removes recovery keys from comments stored before the form removed them', async () => {
      await migrateUpTo(database, '2025-11-27-device-authorization');
      const comments = [
        'Found it: 235818-357951-253979-013365-241120-245575-342914-591910 worked',
        'Ticket 2025-11-30: the article was too long',
        null,
      ];
      const at = new Date().toISOString();
      for (const comment of comments) {
        await database.db
          .insertInto('feedback')
          .values({
            id: newId(),
            article: 'recovery-screen',
            helpful: 1,
            language_quality: null,
            reasons: '[]',
            comment,
            language: 'en',
            user_id: null,
            created_at: at,
          })
          .execute();
      }

      assert.deepEqual(await migrateUpTo(database, '2026-12-06-feedback-without-keys'), [
        '2026-12-06-feedback-without-keys',
      ]);
      const stored = await database.db.selectFrom('feedback').select('comment').execute();
      assert.deepEqual(
        stored.map((row) => row.comment).sort(),
        ['Found it: […] worked', 'Ticket 2025-11-30: the article was too long', null].sort(),
      );
    });
  });
}
