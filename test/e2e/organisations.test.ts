import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  assertAccessible,
  browserSkip,
  callApi,
  launchChromium,
  newKey,
  newPerson,
  openContext,
  screenshot,
  startKeyhold,
  type KeyholdServer,
  type PageProblems,
  type TestKey,
} from './browser.js';
import { freePort, SmtpSink } from '../support/smtp-sink.js';

interface Person {
  name: string;
  email: string;
  password: string;
  page: Page;
  context: BrowserContext;
  problems: PageProblems;
}

async function assertNoSidewaysScroll(page: Page, where: string) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  assert.equal(overflow, 0, `${where} scrolls sideways`);
}

describe('organisations in the web app', { skip: browserSkip }, () => {
  let server: KeyholdServer;
  let sink: SmtpSink;
  let browser: Browser;
  const people: Person[] = [];
  let owner: Person;
  let helpdesk: Person;
  let member: Person;
  let auditor: Person;
  /** Uses the front desk PC, and reads Keyhold's mail in Norwegian Bokmål. */
  let frontDeskUser: Person;
  let orgId = '';
  const orgName = 'Fjordline Shipping AS';
  const memberLaptop = newKey('FJ-LAPTOP-0042');
  const frontDesk = newKey('FJ-FRONTDESK-01');
  const frontDeskData = newKey('FJ-FRONTDESK-01', 'D:');

  async function person(name: string, width = 1280): Promise<Person> {
    const { context, problems } = await openContext(browser, { width, height: 900 });
    const page = await context.newPage();
    const details = newPerson(name);
    // The server sends mail, so an account holds keys once its address is confirmed.
    await page.goto(`${server.url}/sign-up`);
    await page.getByLabel('Your name').fill(details.name);
    await page.getByLabel('Email address').fill(details.email);
    await page.getByLabel('Password', { exact: true }).fill(details.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
    const [confirmation] = await sink.waitFor(details.email);
    const link = /http:\/\/\S+\/confirm-email#token=[\w-]+/.exec(confirmation?.text ?? '')?.[0];
    assert.ok(link, 'the confirmation mail has its link');
    await page.goto(link);
    await page.getByText(`${details.email} is confirmed.`).waitFor();
    await page.goto(`${server.url}/sign-in?email=${encodeURIComponent(details.email)}`);
    await page.getByLabel('Password').fill(details.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Recovery keys' }).waitFor();
    const signedUp = { ...details, page, context, problems };
    people.push(signedUp);
    return signedUp;
  }

  async function addOrganisationKey(as: Page, key: TestKey, assigneeEmail?: string) {
    return callApi<{ key: { id: string } }>(as, 'POST', `/orgs/${orgId}/keys`, {
      ...key,
      source: 'manual',
      ...(assigneeEmail ? { assigneeEmail } : {}),
    });
  }

  before(async () => {
    // The server as `keyhold serve` runs it, sending its mail to a real SMTP server; its
    // links must point back at it, so it listens on a port chosen beforehand.
    sink = await SmtpSink.start();
    const port = String(await freePort());
    server = await startKeyhold({
      args: [
        ...['--port', port, '--public-url', `http://127.0.0.1:${port}`],
        ...['--smtp-url', sink.url, '--mail-from', 'Keyhold <keyhold@fjordline.example>'],
      ],
    });
    browser = await launchChromium();
    owner = await person('Ingrid Owner');
    helpdesk = await person('Henrik Helpdesk');
    member = await person('Marit Member');
    auditor = await person('Aud Auditor');
    frontDeskUser = await person('Bjørn Resepsjon');
    await callApi(frontDeskUser.page, 'PATCH', '/auth/me', { language: 'nb' });
  });

  after(async () => {
    for (const { context } of people) await context.close();
    await browser.close();
    await server.stop();
    await sink.stop();
  });

  it('lets an owner create an organisation, add its people with their roles and set its policies', async () => {
    const { page, problems } = owner;
    await page
      .getByRole('navigation', { name: 'Libraries' })
      .getByRole('link', { name: 'Organisations' })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Organisations' }).waitFor();
    await page.getByText('This account belongs to no organisation yet.').waitFor();
    await assertAccessible(page, 'the list of organisations');
    await page.getByLabel('Name of the organisation').fill(orgName);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { level: 1, name: `Recovery keys · ${orgName}` }).waitFor();
    orgId = /\/orgs\/([0-9a-f-]+)/.exec(page.url())?.[1] ?? '';
    assert.notEqual(orgId, '');
    await page.getByText("This organisation's library has no keys yet.").waitFor();

    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByRole('heading', { level: 1, name: `Members · ${orgName}` }).waitFor();
    for (const [who, role] of [
      [helpdesk, 'Helpdesk'],
      [auditor, 'Auditor'],
      [frontDeskUser, 'Member'],
      [member, 'Member'],
    ] as const) {
      await page.getByLabel('Email of their Keyhold account').fill(who.email);
      await page.getByLabel('Role', { exact: true }).selectOption({ label: role });
      await page.getByRole('button', { name: 'Add member' }).click();
      await page.getByText(`${who.name} was added as ${role}.`).waitFor();
    }
    const rows = page.getByRole('table').getByRole('row');
    await rows.filter({ hasText: auditor.name }).getByText(auditor.email).waitFor();
    const members = page.getByRole('table', { name: 'Members' }).getByRole('row');
    assert.equal(await members.count(), 6, 'a header row and five people');
    await assertAccessible(page, 'the members page');
    await screenshot(page, 'organisation-members');

    // Someone without an account is invited by mail; the invitation waits in its own list.
    const newcomer = newPerson('Nina Newcomer').email;
    await page.getByLabel('Email of their Keyhold account').fill(newcomer);
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByText(`An invitation to join as Member was sent to ${newcomer}.`).waitFor();
    const invitations = page.getByRole('table', { name: 'Invitations waiting' });
    const invited = invitations.getByRole('row', { name: new RegExp(newcomer) });
    await invited.getByText(owner.name).waitFor();
    await invited.getByText('Member', { exact: true }).waitFor();
    const [invitation] = await sink.waitFor(newcomer);
    assert.equal(invitation?.subject, `Invitation to ${orgName} on Keyhold`);
    await assertAccessible(page, 'the members page with an invitation');
    await screenshot(page, 'organisation-invitations');
    await invited.getByRole('button', { name: `Send again ${newcomer}` }).click();
    await page.getByText(`The invitation was sent to ${newcomer} again`).waitFor();
    await sink.waitFor(newcomer, 2);

    await page.getByRole('link', { name: 'Policies' }).click();
    const approval = page.getByLabel('A helpdesk reveal waits for approval');
    const selfService = page.getByLabel('Members may reveal the keys of their own devices');
    await selfService.waitFor();
    assert.equal(await selfService.isChecked(), true, 'self-service is on by default');
    assert.equal(await approval.isChecked(), false);
    assert.equal(
      await page.getByLabel("Email the device's person when its key is revealed").isChecked(),
      true,
      'the person is told by default',
    );
    await selfService.uncheck();
    await page.getByRole('button', { name: 'Save policies' }).click();
    await page.getByText('Policies saved.').waitFor();
    await page.reload();
    await selfService.waitFor();
    assert.equal(await selfService.isChecked(), false, 'the change was kept');
    await assertAccessible(page, 'the policies page');
    await selfService.check();
    await page.getByRole('button', { name: 'Save policies' }).click();
    await page.getByText('Policies saved.').waitFor();

    await addOrganisationKey(page, memberLaptop, member.email);
    await addOrganisationKey(page, frontDesk, frontDeskUser.email);
    await addOrganisationKey(page, frontDeskData, frontDeskUser.email);
    assert.deepEqual(problems.errors, []);
  });

  it('lets the helpdesk find a key from the 8 characters on the screen and reveal it with a reason', async () => {
    const { page, problems } = helpdesk;
    await page.goto(`${server.url}/keys`);
    await page
      .getByRole('navigation', { name: 'Libraries' })
      .getByRole('link', { name: orgName })
      .click();
    const search = page.getByRole('searchbox', { name: 'Key ID or device name' });
    await search.waitFor();
    // Focused on arrival: the helpdesk types straight away, without a click.
    assert.equal(
      await search.evaluate((element) => element === document.activeElement),
      true,
      'the search has the focus',
    );
    const shortId = frontDesk.protectorId.slice(0, 8);
    await page.keyboard.type(shortId.toLowerCase());
    await page.getByText(`1 key matches “${shortId.toLowerCase()}”`).waitFor();
    const rows = page.getByRole('table').getByRole('row');
    assert.equal(await rows.count(), 2, 'a header row and the one key');
    const row = rows.filter({ hasText: 'FJ-FRONTDESK-01' });
    assert.equal(await row.locator('.key-id strong').textContent(), shortId);
    assert.match(page.url(), new RegExp(`q=${shortId.toLowerCase()}`));
    await assertAccessible(page, 'the organisation library with a match');
    await screenshot(page, 'organisation-search');

    await row.getByRole('button', { name: `Reveal ${shortId.toLowerCase()}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Reveal recovery key' });
    await dialog.waitFor();
    const reveal = dialog.getByRole('button', { name: 'Reveal key' });
    assert.equal(await reveal.isDisabled(), true, 'no reveal without a reason');
    const reasons = dialog
      .getByRole('group', { name: 'Why is the key needed?' })
      .getByRole('radio');
    assert.equal(await reasons.count(), 7);
    // "Other" asks for words of one's own.
    await dialog.getByLabel('Other').check();
    await dialog.getByLabel('Say why in a few words').waitFor();
    await dialog.getByLabel('Hardware repair').check();
    assert.equal(await dialog.getByLabel('Say why in a few words').count(), 0);
    await dialog.getByLabel('Ticket reference (optional)').fill('INC-4711');
    await assertAccessible(page, 'the reveal dialog');
    await reveal.click();
    const blocks = frontDesk.recoveryPassword.split('-');
    await dialog
      .getByText(blocks[0] ?? '')
      .first()
      .waitFor();
    const shown = (await dialog.locator('.recovery-key').textContent()) ?? '';
    assert.equal(shown.replace(/\D/g, ''), blocks.join(''));
    await dialog.getByText("This reveal is recorded in the organisation's audit").waitFor();
    await screenshot(page, 'organisation-revealed');
    await dialog.getByRole('button', { name: 'Close' }).click();
    assert.equal(await page.getByRole('dialog').count(), 0);
    assert.equal(await page.locator('.recovery-key').count(), 0, 'the key left the screen');

    // The person who uses the PC is told, by mail, in their own language.
    const notice = await sink.waitForOne(frontDeskUser.email, (mail) =>
      mail.subject.includes('FJ-FRONTDESK-01'),
    );
    assert.equal(notice.subject, 'Gjenopprettingsnøkkelen til FJ-FRONTDESK-01 ble vist');
    assert.match(notice.text, new RegExp(`${helpdesk.name} \\(${helpdesk.email}\\) viste`));
    assert.match(notice.text, /din enhet FJ-FRONTDESK-01 i Fjordline Shipping AS/);
    assert.match(notice.text, /Grunn: maskinvarereparasjon\nSak: INC-4711/);
    assert.match(notice.text, new RegExp(`Nøkkel-ID: ${frontDesk.protectorId}`));
    for (const mail of [notice.raw, notice.text, notice.html]) {
      assert.equal(mail.includes(frontDesk.recoveryPassword), false, 'no recovery password');
      assert.equal(
        mail.replace(/[\s=-]/g, '').includes(blocks.join('')),
        false,
        'no recovery password, however wrapped',
      );
    }

    // Revealed once, the key is used up until the drive gets a new one.
    await row.getByText('Needs a new key').waitFor();

    // The device page: both drives, each with its current key; only the revealed one is used up.
    await row.getByRole('link', { name: 'FJ-FRONTDESK-01' }).click();
    await page.getByRole('heading', { level: 2, name: 'FJ-FRONTDESK-01' }).waitFor();
    const systemDrive = page.locator('.drive-card', {
      has: page.getByRole('heading', { level: 3, name: /C: · / }),
    });
    const dataDrive = page.locator('.drive-card', {
      has: page.getByRole('heading', { level: 3, name: /D: · / }),
    });
    await systemDrive.getByText('Needs a new key').waitFor();
    assert.equal(await dataDrive.getByText('Needs a new key').count(), 0);
    await page.getByText(/^New key needed since /).waitFor();
    await page.getByText(`${frontDeskUser.name} (${frontDeskUser.email})`).waitFor();
    assert.equal(
      await page.getByRole('button', { name: 'Ask for new keys' }).count(),
      0,
      'the helpdesk does not mark devices',
    );
    await assertAccessible(page, 'a device page');
    assert.deepEqual(problems.errors, []);
  });

  it('shows a member only their own device, with its current and previous keys', async () => {
    const replacement = { ...newKey(memberLaptop.deviceName), volume: memberLaptop.volume };
    await addOrganisationKey(owner.page, replacement);
    const { page, problems } = member;
    await page.goto(`${server.url}/orgs/${orgId}`);
    await page.getByRole('searchbox', { name: 'Key ID or device name' }).waitFor();
    const rows = page.getByRole('table').getByRole('row');
    await rows.filter({ hasText: replacement.protectorId.slice(0, 8) }).waitFor();
    assert.equal(await rows.count(), 3, 'a header row and the two keys of their laptop');
    assert.equal(await page.getByText('FJ-FRONTDESK-01').count(), 0);

    await page.getByRole('link', { name: 'Devices' }).click();
    const devices = page.getByRole('table').getByRole('row');
    await devices.filter({ hasText: 'FJ-LAPTOP-0042' }).getByText(member.name).waitFor();
    assert.equal(await devices.count(), 2);
    await page.getByRole('link', { name: 'FJ-LAPTOP-0042' }).click();
    await page.getByText(`${member.name} (${member.email})`).waitFor();
    const drive = page.locator('.drive-card');
    await drive.getByRole('heading', { level: 4, name: 'Previous keys' }).waitFor();
    const current = drive.locator('.key-line').first();
    assert.equal(
      await current.locator('.key-id strong').textContent(),
      replacement.protectorId.slice(0, 8),
      'the newest key is the current one',
    );
    assert.equal(
      await drive.locator('li .key-id strong').textContent(),
      memberLaptop.protectorId.slice(0, 8),
    );
    assert.equal(
      await page.getByLabel('Assigned person (email)').count(),
      0,
      'members do not assign',
    );
    await assertAccessible(page, "a member's device page");
    assert.deepEqual(problems.errors, []);
  });

  it('lets an admin ask for new keys for a device and for the whole organisation', async () => {
    const { page, problems } = owner;
    await page.goto(`${server.url}/orgs/${orgId}/devices`);
    const laptop = page.getByRole('row', { name: /FJ-LAPTOP-0042/ });
    await laptop.waitFor();
    assert.equal(await laptop.getByText('Needs new keys').count(), 0);
    await laptop.getByRole('link', { name: 'FJ-LAPTOP-0042' }).click();
    await page.getByText('Up to date').waitFor();
    await page.getByRole('button', { name: 'Ask for new keys' }).click();
    await page.getByText('1 key marked for a new one.').waitFor();
    await page.getByText(/^New key needed since /).waitFor();
    await page.locator('.drive-card .key-line').first().getByText('Needs a new key').waitFor();
    await assertAccessible(page, 'a device marked for new keys');

    await page.getByRole('link', { name: 'All devices' }).click();
    await laptop.getByText('Needs new keys').waitFor();
    // The front desk's system drive is marked already (revealed); its data drive is not.
    await page.getByRole('button', { name: 'Ask for new keys everywhere' }).click();
    await page.getByRole('button', { name: 'Yes, mark every key' }).click();
    await page.getByText('1 key marked for a new one.').waitFor();
    await page
      .getByRole('row', { name: /FJ-FRONTDESK-01/ })
      .getByText('Needs new keys')
      .waitFor();
    await assertAccessible(page, 'the devices page');
    await screenshot(page, 'organisation-devices');
    assert.deepEqual(problems.errors, []);
  });

  it('holds a helpdesk reveal for approval until someone else approves it', async () => {
    await callApi(owner.page, 'PATCH', `/orgs/${orgId}/policies`, { requireApproval: true });
    const { page, problems } = helpdesk;
    const shortId = frontDeskData.protectorId.slice(0, 8);
    await page.goto(`${server.url}/orgs/${orgId}?q=${shortId}`);
    const row = page.getByRole('row', { name: new RegExp(shortId) });
    await row.getByRole('button', { name: `Reveal ${shortId}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Reveal recovery key' });
    await dialog.getByLabel('Startup PIN forgotten').check();
    await dialog.getByLabel('Ticket reference (optional)').fill('INC-5000');
    await dialog.getByRole('button', { name: 'Reveal key' }).click();
    await dialog.getByText('Approval requested.').waitFor();
    assert.equal(await dialog.locator('.recovery-key').count(), 0, 'no key before approval');
    await dialog.getByRole('link', { name: 'Go to approvals' }).click();
    await page.getByRole('heading', { level: 1, name: `Approvals · ${orgName}` }).waitFor();
    const request = page.locator('.approval', { hasText: shortId });
    await request.getByText('Your request: someone else decides it.').waitFor();
    assert.equal(await request.getByRole('button', { name: /^Approve/ }).count(), 0);
    await assertAccessible(page, 'the approvals page of the requester');

    await owner.page.goto(`${server.url}/orgs/${orgId}/approvals`);
    const pending = owner.page.locator('.approval', { hasText: shortId });
    await pending.getByText(`Asked by ${helpdesk.name}`).waitFor();
    await pending.getByText('Startup PIN forgotten · ticket INC-5000').waitFor();
    await pending.getByLabel('Note for the requester (optional)').fill('Caller verified by phone');
    await assertAccessible(owner.page, 'the approvals page of an approver');
    await pending.getByRole('button', { name: `Approve ${shortId}` }).click();
    await pending.getByText('Approved', { exact: true }).waitFor();

    await page.reload();
    await request.getByRole('button', { name: `Reveal now ${shortId}` }).click();
    await dialog.getByRole('button', { name: 'Reveal key' }).click();
    await dialog.locator('.recovery-key').waitFor();
    const shown = (await dialog.locator('.recovery-key').textContent()) ?? '';
    assert.equal(shown.replace(/\D/g, ''), frontDeskData.recoveryPassword.replace(/\D/g, ''));
    await dialog.getByRole('button', { name: 'Close' }).click();
    await request.getByText('Used', { exact: true }).waitFor();
    await callApi(owner.page, 'PATCH', `/orgs/${orgId}/policies`, { requireApproval: false });
    assert.deepEqual(problems.errors, []);
  });

  it('gives an auditor the audit with filters and the coverage report, and no key', async () => {
    const { page, problems } = auditor;
    await page.goto(`${server.url}/orgs/${orgId}`);
    await page.getByText('Your role in this organisation does not show this page.').waitFor();
    const sections = page.getByRole('navigation', { name: `Sections of ${orgName}` });
    assert.equal(await sections.getByRole('link', { name: 'Recovery keys' }).count(), 0);
    assert.equal(await sections.getByRole('link', { name: 'Devices' }).count(), 0);

    await sections.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { level: 1, name: `Audit · ${orgName}` }).waitFor();
    const events = page.locator('ol.activity > li');
    await events.first().waitFor();
    const shortId = frontDesk.protectorId.slice(0, 8);
    await page.getByLabel('What').selectOption({ label: 'Recovery key shown' });
    await page.getByLabel('Key ID').fill(shortId);
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.getByText('1 event shown.').waitFor();
    const reveal = events.first();
    await reveal.getByText(`by ${helpdesk.name}`).waitFor();
    await reveal.getByText(/Hardware repair · ticket INC-4711/).waitFor();
    await assertAccessible(page, 'the audit page with filters');
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    const csvText = readFileSync(await csv.path(), 'utf8');
    const lines = csvText.trim().split(/\r?\n/);
    assert.equal(lines.length, 2, 'a header and the one filtered event');
    assert.match(lines[1] ?? '', /INC-4711/);
    assert.doesNotMatch(csvText, new RegExp(frontDesk.recoveryPassword));

    await sections.getByRole('link', { name: 'Coverage' }).click();
    await page.getByRole('heading', { level: 1, name: `Coverage · ${orgName}` }).waitFor();
    await page
      .getByRole('img', { name: "Coverage of the organisation's drives and keys" })
      .waitFor();
    const totals = page.getByRole('table', { name: 'Totals' });
    assert.equal(
      await totals.getByRole('row', { name: /^Drives with a key/ }).textContent(),
      'Drives with a key3',
    );
    await page
      .getByRole('region', { name: 'Keys needing a new one' })
      .getByText(frontDesk.protectorId.slice(8))
      .waitFor();
    await assertAccessible(page, 'the coverage report');
    await screenshot(page, 'organisation-report');
    assert.equal(
      await page.getByRole('button', { name: /^Reveal/ }).count(),
      0,
      'an auditor is never offered a key',
    );

    await callApi(owner.page, 'POST', `/orgs/${orgId}/import?dryRun=false`, {
      filename: 'graph-recovery-keys.json',
      contentBase64: readFileSync('test/fixtures/escrow-exports/graph-recovery-keys.json').toString(
        'base64',
      ),
    });
    await sections.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('What').selectOption({ label: 'Keys imported from a file' });
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await events
      .first()
      .getByText(/graph-recovery-keys\.json · 2 added, 1 skipped, 0 conflicts$/)
      .waitFor();
    assert.doesNotMatch(
      (await events.first().textContent()) ?? '',
      / about /,
      'an import names no one but the owner who made it, so it is not said to be about them',
    );
    await page.getByText('1 event shown.').waitFor();
    assert.deepEqual(problems.errors, []);
  });

  it('fits the helpdesk search, the reveal dialog and a device page on a 375 px screen', async () => {
    const narrow = await person('Nora Narrow', 375);
    await callApi(owner.page, 'POST', `/orgs/${orgId}/members`, {
      email: narrow.email,
      role: 'helpdesk',
    });
    const { page, problems } = narrow;
    await page.goto(`${server.url}/orgs/${orgId}`);
    const search = page.getByRole('searchbox', { name: 'Key ID or device name' });
    const shortId = frontDeskData.protectorId.slice(0, 8);
    await search.fill(shortId);
    await page.getByText(`1 key matches “${shortId}”`).waitFor();
    const row = page.getByRole('row', { name: new RegExp(shortId) });
    await assertNoSidewaysScroll(page, 'the organisation library');
    await screenshot(page, 'organisation-search-375');
    await row.getByRole('button', { name: /^Reveal / }).click();
    const dialog = page.getByRole('dialog', { name: 'Reveal recovery key' });
    await dialog.getByLabel('Data recovery').check();
    await dialog.getByRole('button', { name: 'Reveal key' }).click();
    await dialog.locator('.recovery-key').waitFor();
    const box = await dialog.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 375, 'the dialog fits the screen');
    await screenshot(page, 'organisation-revealed-375');
    await assertNoSidewaysScroll(page, 'the reveal dialog');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await row.getByRole('link', { name: 'FJ-FRONTDESK-01' }).click();
    await page.getByRole('heading', { level: 2, name: 'FJ-FRONTDESK-01' }).waitFor();
    await assertNoSidewaysScroll(page, 'a device page');
    await page.goto(`${server.url}/orgs/${orgId}/members`);
    await page.getByRole('table').waitFor();
    await assertNoSidewaysScroll(page, 'the members page');
    await page.goto(`${server.url}/orgs/${orgId}/approvals`);
    await page.locator('.approval').first().waitFor();
    await assertNoSidewaysScroll(page, 'the approvals page');
    assert.deepEqual(problems.errors, []);

    // An owner on a phone: the waiting invitation, revoked.
    await owner.page.setViewportSize({ width: 375, height: 800 });
    await owner.page.goto(`${server.url}/orgs/${orgId}/members`);
    const invitations = owner.page.getByRole('table', { name: 'Invitations waiting' });
    const invited = invitations.getByRole('row', { name: /nina\.newcomer/ });
    await invited.waitFor();
    await assertNoSidewaysScroll(owner.page, 'the members page with an invitation');
    await screenshot(owner.page, 'organisation-invitations-375');
    await invited.getByRole('button', { name: /^Revoke / }).click();
    await owner.page.getByText(/^The invitation to nina\.newcomer.* was revoked\.$/).waitFor();
    // The notice comes with the answer; the list is read again after it, so the table goes then.
    await invitations.waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal(await invitations.count(), 0, 'no invitation is left');

    // The enrollment tokens on a phone: each cell says which column it is in.
    await owner.page.goto(`${server.url}/orgs/${orgId}/enrollment`);
    await owner.page.getByLabel('Name').fill('Phone rollout');
    await owner.page.getByRole('button', { name: 'Create token' }).click();
    await owner.page.getByText('Copy the token now: it is not shown again.').waitFor();
    // The new token is listed at once, without reloading the page.
    const token = owner.page
      .getByRole('table', { name: 'Enrollment tokens' })
      .getByRole('row', { name: /Phone rollout/ });
    await token.waitFor();
    // The narrow layout puts each cell's data-label before it.
    assert.equal(await token.locator('td[data-label="Used"]').innerText(), '0 / 1');
    assert.equal(await token.locator('td[data-label="Status"]').innerText(), 'Usable');
    await assertNoSidewaysScroll(owner.page, 'the enrollment page');
    await assertAccessible(owner.page, 'the enrollment page');
    await screenshot(owner.page, 'organisation-enrollment-375');
    await owner.page.setViewportSize({ width: 1280, height: 900 });
    assert.deepEqual(owner.problems.errors, []);
  });
});
