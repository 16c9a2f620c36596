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
  signUp,
  startKeyhold,
  type KeyholdServer,
  type PageProblems,
  type TestKey,
} from './browser.js';

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
  let browser: Browser;
  const people: Person[] = [];
  let owner: Person;
  let helpdesk: Person;
  let member: Person;
  let auditor: Person;
  let orgId = '';
  const orgName = 'Fjordline Shipping AS';
  const memberLaptop = newKey('FJ-LAPTOP-0042');
  const frontDesk = newKey('FJ-FRONTDESK-01');
  const frontDeskData = newKey('FJ-FRONTDESK-01', 'D:');

  async function person(name: string, width = 1280): Promise<Person> {
    const { context, problems } = await openContext(browser, { width, height: 900 });
    const page = await context.newPage();
    const details = newPerson(name);
    await signUp(page, server.url, details);
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
    server = await startKeyhold();
    browser = await launchChromium();
    owner = await person('Ingrid Owner');
    helpdesk = await person('Henrik Helpdesk');
    member = await person('Marit Member');
    auditor = await person('Aud Auditor');
  });

  after(async () => {
    for (const { context } of people) await context.close();
    await browser.close();
    await server.stop();
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
      [member, 'Member'],
      [auditor, 'Auditor'],
    ] as const) {
      await page.getByLabel('Email of their Keyhold account').fill(who.email);
      await page.getByLabel('Role', { exact: true }).selectOption({ label: role });
      await page.getByRole('button', { name: 'Add member' }).click();
      await page.getByText(`${who.name} was added as ${role}.`).waitFor();
    }
    const rows = page.getByRole('table').getByRole('row');
    await rows.filter({ hasText: auditor.name }).getByText(auditor.email).waitFor();
    assert.equal(await rows.count(), 5, 'a header row and four people');
    await assertAccessible(page, 'the members page');
    await screenshot(page, 'organisation-members');

    // Someone without an account cannot be added; the server says why.
    await page.getByLabel('Email of their Keyhold account').fill('nobody.here@example.org');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('alert').waitFor();

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
    await addOrganisationKey(page, frontDesk);
    await addOrganisationKey(page, frontDeskData);
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

    // The device page: both drives, each with its current key.
    await row.getByRole('link', { name: 'FJ-FRONTDESK-01' }).click();
    await page.getByRole('heading', { level: 2, name: 'FJ-FRONTDESK-01' }).waitFor();
    await page.getByRole('heading', { level: 3, name: /C: · / }).waitFor();
    await page.getByRole('heading', { level: 3, name: /D: · / }).waitFor();
    assert.equal(await page.getByText('Nobody', { exact: true }).count(), 1);
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

  it('keeps keys out of sight for an auditor', async () => {
    const { page, problems } = auditor;
    await page.goto(`${server.url}/orgs/${orgId}`);
    await page.getByText('Your role in this organisation does not show this page.').waitFor();
    const sections = page.getByRole('navigation', { name: `Sections of ${orgName}` });
    assert.equal(await sections.getByRole('link', { name: 'Recovery keys' }).count(), 0);
    assert.equal(await sections.getByRole('link', { name: 'Devices' }).count(), 0);
    await sections.getByRole('link', { name: 'Members' }).click();
    await page.getByRole('heading', { level: 1, name: `Members · ${orgName}` }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Add member' }).count(), 0);
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
    assert.deepEqual(problems.errors, []);
  });
});
