import Fastify from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeRecoveryKeyFile } from '../bitlocker/recovery-file.js';
import { newId } from '../db/ids.js';
import { databaseKinds } from '../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../test/server/harness.js';
import {
  addKey,
  randomKey,
  testPassword,
  uniqueEmail,
  type ErrorReply,
} from '../../test/server/key-library.js';
import { CsrfError, handleError, NotFoundError, RateLimitedError } from './errors.js';
import { languageOf, things } from './messages.js';
import type { SessionList as SessionsReply } from '../api/auth.js';
import type { ImportResult as ImportReply } from '../api/keys.js';

describe('the language of server messages', () => {
  it('follows Accept-Language, Norwegian in any written form giving Bokmål', () => {
    assert.equal(languageOf('nb'), 'nb');
    assert.equal(languageOf('nn-NO,en;q=0.5'), 'nb');
    assert.equal(languageOf('no'), 'nb');
    assert.equal(languageOf('de-DE,nb;q=0.8,en;q=0.5'), 'nb');
    assert.equal(languageOf('en;q=0.9,nb;q=0.2'), 'en');
    assert.equal(languageOf('nb;q=0.3,en;q=0.9'), 'en');
    assert.equal(languageOf(undefined), 'en');
    assert.equal(languageOf('fr'), 'en');
  });

  it('words waits and refused requests in Bokmål, with the right number of minutes', () => {
    assert.equal(
      new RateLimitedError(120).messageIn('nb'),
      'For mange forsøk. Prøv igjen om 2 minutter.',
    );
    assert.equal(
      new RateLimitedError(30).messageIn('en'),
      'Too many attempts. Try again in 1 minute.',
    );
    assert.match(new CsrfError().messageIn('nb'), /Last inn siden på nytt/);
  });

  it('words any other refusal of the framework in Bokmål, keeping its code but not its English', async () => {
    const app = Fastify();
    app.setErrorHandler(handleError);
    app.get('/teapot', () => {
      throw Object.assign(new Error("I'm a teapot"), { statusCode: 418, code: 'FST_TEAPOT' });
    });
    const answer = await app.inject({ url: '/teapot', headers: { 'accept-language': 'nb' } });
    await app.close();
    assert.equal(answer.statusCode, 418);
    assert.deepEqual(answer.json(), {
      error: {
        code: 'fst_teapot',
        message: 'Forespørselen kunne ikke leses: sjekk adressen, hodefeltene og innholdet.',
      },
    });
  });

  it('words what was not found in each language from its name', () => {
    const missing = new NotFoundError(things.organisation);
    assert.equal(missing.messageIn('en'), 'The organisation was not found.');
    assert.equal(missing.messageIn('nb'), 'Organisasjonen ble ikke funnet.');
    assert.equal(missing.message, 'The organisation was not found.');
  });
});

const norwegian = { 'accept-language': 'nb' };

for (const kind of databaseKinds) {
  describe(`messages in the app's language on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    before(async () => {
      server = await startTestApp(kind.name);
    });
    after(() => server.close());

    async function signedInBrowser(userAgent?: string): Promise<TestBrowser> {
      const browser = new TestBrowser(server.app, userAgent);
      await browser.signup(uniqueEmail('kari'), testPassword);
      return browser;
    }

    it('words import conflicts and skips in Bokmål for nb and in English otherwise', async () => {
      const browser = await signedInBrowser();
      const key = randomKey();
      await addKey(browser, key);
      const same = writeRecoveryKeyFile(key);
      const different = writeRecoveryKeyFile({
        protectorId: key.protectorId,
        recoveryPassword: randomKey().recoveryPassword,
      });
      const upload = (file: { fileName: string; bytes: Buffer }, headers = {}) =>
        browser.request<ImportReply>('POST', '/api/v1/keys/import?dryRun=true', {
          body: { filename: file.fileName, contentBase64: file.bytes.toString('base64') },
          headers,
        });

      const stored = await upload(same, norwegian);
      assert.equal(stored.status, 200);
      assert.deepEqual(stored.body.found[0], {
        ...stored.body.found[0],
        action: 'update',
        reasonCode: 'already_stored',
        reason: 'finnes allerede i biblioteket ditt',
      });
      const conflict = await upload(different, norwegian);
      const [conflicting] = conflict.body.found;
      assert.equal(conflicting?.reasonCode, 'different_password');
      assert.match(String(conflicting.reason), /annet gjenopprettingspassord/);

      const english = await upload(same);
      assert.equal(english.body.found[0]?.reason, 'already in your library');
      const englishConflict = await upload(different, { 'accept-language': 'en-GB' });
      assert.match(englishConflict.body.found[0]?.reason ?? '', /different recovery password/);
    });

    it('refuses a file it cannot read in Bokmål, naming the file', async () => {
      const browser = await signedInBrowser();
      const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
      const body = { filename: 'bilde.png', contentBase64: png.toString('base64') };
      const refused = await browser.request<ErrorReply>('POST', '/api/v1/keys/import', {
        body,
        headers: norwegian,
      });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, 'invalid_request');
      assert.match(
        refused.body.error.message,
        /^bilde\.png ser ut som et PNG-bilde, ikke en BitLocker-nøkkelfil/,
      );
      const empty = await browser.request<ErrorReply>('POST', '/api/v1/keys/import', {
        body: { filename: 'tom.txt', contentBase64: '' },
        headers: norwegian,
      });
      assert.equal(empty.body.error.message, 'tom.txt er tom.');
      const english = await browser.request<ErrorReply>('POST', '/api/v1/keys/import', { body });
      assert.match(english.body.error.message, /^bilde\.png looks like a PNG image/);
    });

    it('words schema validation, the whole message and each field, in Bokmål', async () => {
      const browser = await signedInBrowser();
      const tooLong = { ...randomKey(), deviceName: 'x'.repeat(5000) };
      const norwegianReply = await browser.request<ErrorReply>('POST', '/api/v1/keys', {
        body: tooLong,
        headers: norwegian,
      });
      assert.equal(norwegianReply.status, 400);
      assert.equal(norwegianReply.body.error.code, 'invalid_request');
      assert.match(norwegianReply.body.error.message, /^Forespørselen er ikke gyldig: sjekk /);
      const details = norwegianReply.body.error.details as { field: string; message: string }[];
      assert.ok(details.length > 0);
      assert.match(details[0]?.message ?? '', /For stor|forventet/);

      const englishReply = await browser.request<ErrorReply>('POST', '/api/v1/keys', {
        body: tooLong,
      });
      assert.match(englishReply.body.error.message, /^The request is not valid: check /);
    });

    it('words domain errors (a wrong password, a taken email) in Bokmål', async () => {
      const email = uniqueEmail('ola');
      await new TestBrowser(server.app).signup(email, testPassword);
      const taken = await new TestBrowser(server.app).request<ErrorReply>(
        'POST',
        '/api/v1/auth/signup',
        { body: { email, password: testPassword, displayName: 'Ola' }, headers: norwegian },
      );
      assert.equal(taken.status, 409);
      assert.equal(taken.body.error.code, 'conflict');
      assert.match(taken.body.error.message, /Det finnes allerede en konto/);

      const wrong = await new TestBrowser(server.app).request<ErrorReply>(
        'POST',
        '/api/v1/auth/signin',
        { body: { email, password: `${testPassword}x` }, headers: norwegian },
      );
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.message, 'E-postadressen eller passordet er ikke riktig.');
    });

    it('words a conflicting key (another password under a stored Key ID) in Bokmål', async () => {
      const browser = await signedInBrowser();
      const key = randomKey();
      await addKey(browser, key);
      const again = { ...key, recoveryPassword: randomKey().recoveryPassword };
      const conflict = await browser.request<ErrorReply>('POST', '/api/v1/keys', {
        body: again,
        headers: norwegian,
      });
      assert.equal(conflict.status, 409);
      assert.equal(conflict.body.error.code, 'conflict');
      assert.match(conflict.body.error.message, /finnes allerede i biblioteket ditt med et annet/);
      const english = await browser.request<ErrorReply>('POST', '/api/v1/keys', { body: again });
      assert.match(english.body.error.message, /already in your library with a different/);
    });

    /** The refusal in Bokmål and in English: the same status and code, each message exact. */
    async function refusalInBothLanguages(
      browser: TestBrowser,
      method: 'GET' | 'POST',
      url: string,
      expected: { status: number; code: string; en: string; nb: string },
      body?: unknown,
    ): Promise<void> {
      const inBokmal = await browser.request<ErrorReply>(method, url, { body, headers: norwegian });
      const inEnglish = await browser.request<ErrorReply>(method, url, { body });
      for (const [reply, message] of [
        [inBokmal, expected.nb],
        [inEnglish, expected.en],
      ] as const) {
        assert.equal(reply.status, expected.status, url);
        assert.equal(reply.body.error.code, expected.code, url);
        assert.equal(reply.body.error.message, message, url);
      }
    }

    it('words a missing key or organisation in Bokmål, with the same code and status', async () => {
      const browser = await signedInBrowser();
      await refusalInBothLanguages(browser, 'GET', `/api/v1/keys/${newId()}`, {
        status: 404,
        code: 'not_found',
        en: 'The key was not found.',
        nb: 'Nøkkelen ble ikke funnet.',
      });
      await refusalInBothLanguages(browser, 'GET', `/api/v1/orgs/${newId()}`, {
        status: 404,
        code: 'not_found',
        en: 'The organisation was not found.',
        nb: 'Organisasjonen ble ikke funnet.',
      });
    });

    it("refuses a member's managing of members in Bokmål, with the same code", async () => {
      const owner = await signedInBrowser();
      const memberEmail = uniqueEmail('mia');
      const member = new TestBrowser(server.app);
      await member.signup(memberEmail, testPassword);
      const created = await owner.request<{ organisation: { id: string } }>(
        'POST',
        '/api/v1/orgs',
        { body: { name: 'Fjordvik IT' } },
      );
      const members = `/api/v1/orgs/${created.body.organisation.id}/members`;
      const added = await owner.request('POST', members, {
        body: { email: memberEmail, role: 'member' },
      });
      assert.equal(added.status, 201);
      await refusalInBothLanguages(
        member,
        'POST',
        members,
        {
          status: 403,
          code: 'forbidden',
          en: 'Only owners and admins of the organisation can manage its members.',
          nb: 'Bare eiere og administratorer i organisasjonen kan administrere medlemmene.',
        },
        { email: uniqueEmail('ola'), role: 'member' },
      );
    });

    it('refuses a bad audit cursor in Bokmål, with the same code', async () => {
      const browser = await signedInBrowser();
      const notASequence = Buffer.from('x').toString('base64url');
      await refusalInBothLanguages(browser, 'GET', `/api/v1/audit?before=${notASequence}`, {
        status: 400,
        code: 'invalid_request',
        en: 'The cursor is not valid: use the nextCursor of the previous page.',
        nb: 'Pekeren er ikke gyldig: bruk nextCursor fra forrige side.',
      });
    });

    it("words each refused field's reason in Bokmål, and in English exactly as before", async () => {
      const browser = await signedInBrowser();
      const blocks = randomKey().recoveryPassword.split('-');
      blocks[1] = '000012';
      const mistyped = randomKey({ recoveryPassword: blocks.join('-') });
      const added = await browser.request<ErrorReply>('POST', '/api/v1/keys', {
        body: mistyped,
        headers: norwegian,
      });
      assert.equal(added.status, 400);
      assert.equal(added.body.error.message, 'Nøkkelen ble ikke lagret: sjekk recoveryPassword.');
      assert.equal(
        JSON.stringify(added.body.error.details),
        JSON.stringify([
          {
            field: 'recoveryPassword',
            block: 2,
            value: '000012',
            reason:
              'Blokk 2 er ikke en gyldig blokk (hver blokk går opp i 11-gangen): se etter et feilskrevet eller ombyttet siffer.',
          },
        ]),
      );
      const addedInEnglish = await browser.request<ErrorReply>('POST', '/api/v1/keys', {
        body: mistyped,
      });
      assert.equal(
        JSON.stringify(addedInEnglish.body.error.details),
        JSON.stringify([
          {
            field: 'recoveryPassword',
            block: 2,
            value: '000012',
            reason:
              'Block 2 is not a valid block (every block is a multiple of 11): check for a mistyped or swapped digit.',
          },
        ]),
      );

      const cursor = '/api/v1/keys?cursor=not-a-cursor';
      const page = await browser.request<ErrorReply>('GET', cursor, { headers: norwegian });
      assert.equal(page.status, 400);
      assert.deepEqual(page.body.error.details, [
        { field: 'cursor', reason: 'bruk nextCursor fra en tidligere side slik den ble gitt' },
      ]);
      const pageInEnglish = await browser.request<ErrorReply>('GET', cursor);
      assert.deepEqual(pageInEnglish.body.error.details, [
        { field: 'cursor', reason: 'use the nextCursor of a previous page as it was given' },
      ]);
    });

    it("words the missing reason for revealing an organisation's key in Bokmål", async () => {
      const owner = await signedInBrowser();
      const created = await owner.request<{ organisation: { id: string } }>(
        'POST',
        '/api/v1/orgs',
        { body: { name: 'Fjellvik IT' } },
      );
      const orgId = created.body.organisation.id;
      const added = await owner.request<{ key: { id: string } }>(
        'POST',
        `/api/v1/orgs/${orgId}/keys`,
        { body: randomKey({ deviceName: 'FJELLVIK-PC-7' }) },
      );
      assert.equal(added.status, 201, JSON.stringify(added.body));
      const reveal = `/api/v1/orgs/${orgId}/keys/${added.body.key.id}/reveal`;
      const unexplained = { reason: 'other' };
      const refused = await owner.request<ErrorReply>('POST', reveal, {
        body: unexplained,
        headers: norwegian,
      });
      assert.equal(refused.status, 400);
      assert.equal(
        refused.body.error.message,
        'Skriv med noen få ord hvorfor nøkkelen trengs når grunnen er «annet».',
      );
      assert.deepEqual(refused.body.error.details, [
        { field: 'reasonText', reason: 'kreves når grunnen er «annet» ("other")' },
      ]);
      const inEnglish = await owner.request<ErrorReply>('POST', reveal, { body: unexplained });
      assert.deepEqual(inEnglish.body.error.details, [
        { field: 'reasonText', reason: 'required with the reason "other"' },
      ]);
    });

    it("answers a body or address Fastify cannot read in Bokmål, without Fastify's English", async () => {
      const browser = await signedInBrowser();
      const json = { 'content-type': 'application/json' };
      const refusals = [
        {
          url: '/api/v1/keys',
          body: '{"protectorId": "1B6E1FE3-',
          nb: 'Innholdet i forespørselen er ikke gyldig JSON.',
          en: 'The request body is not valid JSON.',
        },
        {
          url: '/api/v1/keys',
          body: '',
          nb: 'Innholdet i forespørselen er tomt, men content-type sier JSON: send et JSON-dokument, eller ingen content-type.',
          en: 'The request body is empty, but its content-type says JSON: send a JSON document, or no content-type.',
        },
        {
          url: '/api/v1/keys/%E0%A4%A/reveal',
          body: '{}',
          nb: 'Adressen er ikke gyldig: en del av den er prosentkodet (%) på en måte som ikke gir tekst.',
          en: 'The address is not valid: part of it is percent-encoded (%) in a way that does not decode to text.',
        },
      ];
      for (const { url, body, nb, en } of refusals) {
        const inBokmal = await browser.request<ErrorReply>('POST', url, {
          body,
          headers: { ...json, ...norwegian },
        });
        assert.equal(inBokmal.status, 400, url);
        assert.deepEqual(inBokmal.body, { error: { code: 'invalid_request', message: nb } });
        // Refused before routing or not, the answer has the headers every answer has.
        assert.equal(inBokmal.headers['cache-control'], 'no-store', url);
        assert.equal(inBokmal.headers['x-content-type-options'], 'nosniff', url);
        assert.match(String(inBokmal.headers['content-security-policy']), /default-src/, url);
        assert.doesNotMatch(
          JSON.stringify(inBokmal.body),
          /Body is not valid|Body cannot be empty|content-type is set|not a valid url component/,
        );
        const inEnglish = await browser.request<ErrorReply>('POST', url, { body, headers: json });
        assert.deepEqual(inEnglish.body, { error: { code: 'invalid_request', message: en } });
      }
    });

    it("describes a session's device in Bokmål, headless Chrome included", async () => {
      const headless =
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36';
      const browser = await signedInBrowser(headless);
      const inBokmal = await browser.request<SessionsReply>('GET', '/api/v1/auth/sessions', {
        headers: norwegian,
      });
      assert.equal(inBokmal.status, 200);
      assert.deepEqual(inBokmal.body.sessions[0], {
        ...inBokmal.body.sessions[0],
        device: 'Chrome på Linux',
        browser: 'Chrome',
        system: 'Linux',
      });
      const inEnglish = await browser.request<SessionsReply>('GET', '/api/v1/auth/sessions');
      assert.equal(inEnglish.body.sessions[0]?.device, 'Chrome on Linux');
    });
  });
}
