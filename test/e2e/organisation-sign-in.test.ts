import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { TestIdentityProvider } from '../support/oidc-idp.js';
import {
  addVirtualAuthenticator,
  assertAccessible,
  browserSkip,
  launchChromium,
  openContext,
  screenshot,
  signUp,
  startKeyhold,
  type KeyholdServer,
} from './browser.js';

/** Creates an organisation as the tab's active account, through the API the app uses. */
function createOrganisation(page: Page, name: string): Promise<string> {
  return page.evaluate(async (organisationName) => {
    const account = sessionStorage.getItem('keyhold.activeAccount') ?? '';
    const listing = (await (await fetch('/api/v1/auth/accounts')).json()) as { csrfToken: string };
    const response = await fetch('/api/v1/orgs', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-keyhold-account': account,
        'x-keyhold-csrf': listing.csrfToken,
      },
      body: JSON.stringify({ name: organisationName }),
    });
    if (!response.ok) throw new Error(`creating the organisation failed: ${await response.text()}`);
    return ((await response.json()) as { organisation: { id: string } }).organisation.id;
  }, name);
}

describe('signing in through an organisation’s identity provider', { skip: browserSkip }, () => {
  let server: KeyholdServer;
  let idp: TestIdentityProvider;
  let browser: Browser;
  /** On localhost: WebAuthn refuses an IP address as the site. */
  let url: string;
  const owner = {
    name: 'Olive Owner',
    email: 'olive@home.example',
    password: 'lantern orbit owner meadow',
  };
  const employee = { email: 'kari@acme.example', password: 'fjord lantern at acme' };

  before(async () => {
    server = await startKeyhold();
    url = server.url.replace('127.0.0.1', 'localhost');
    idp = await TestIdentityProvider.start([`${url}/sign-in/sso`]);
    idp.addPerson({ ...employee, name: 'Kari Nordmann', groups: ['it-helpdesk'] });
    browser = await launchChromium();
  });
  after(async () => {
    await browser.close();
    await idp.close();
    await server.stop();
  });

  it('lets an owner set the provider up, then signs a new person in through it beside another account, who meets the second-factor rule with a passkey', async () => {
    const { context, problems } = await openContext(browser);
    const page = await context.newPage();
    await addVirtualAuthenticator(page);
    await signUp(page, url, owner);
    const orgId = await createOrganisation(page, 'Acme IT');

    await page.goto(`${url}/orgs`);
    await page.getByRole('link', { name: 'Sign-in settings Acme IT' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign-in settings' }).waitFor();
    assert.equal(page.url(), `${url}/orgs/${orgId}/sign-in-settings`);

    await page.getByLabel('Issuer URL').fill(idp.issuer);
    await page.getByLabel('Client ID').fill(idp.clientId);
    await page.getByLabel('Client secret').fill(idp.clientSecret);
    await page.getByLabel('Groups claim').fill('groups');
    await page.getByLabel('Groups and roles').fill('it-helpdesk = helpdesk');
    await page.getByRole('button', { name: 'Save' }).first().click();
    await page.getByText('A client secret is stored and never shown.').waitFor();
    assert.equal(await page.getByLabel('Client secret').inputValue(), '');

    await page.getByLabel('Domain', { exact: true }).fill('acme.example');
    await page.getByRole('button', { name: 'Add domain' }).click();
    await page.getByText('Not verified').waitFor();
    await page.getByRole('button', { name: 'Verify acme.example' }).click();
    await page.getByText(/^Verified /).waitFor();
    await assertAccessible(page, 'the sign-in settings');
    await screenshot(page, 'org-sign-in-settings');
    // The helpdesk must use a second factor.
    const policies = page.getByRole('region', { name: 'Second factor and step-up' });
    await policies.getByRole('checkbox', { name: 'Helpdesk' }).check();
    const policiesSaved = page.waitForResponse(
      (response) => response.url().endsWith('/policies') && response.status() === 200,
    );
    await policies.getByRole('button', { name: 'Save' }).click();
    await policiesSaved;

    // A second person in the same browser: identify, straight to the provider, and back.
    await page.goto(`${url}/sign-in?new=1`);
    await page.getByLabel('Email address').fill(employee.email);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL((url) => url.origin === idp.issuer);
    await page.getByRole('heading', { name: 'Acme sign-in' }).waitFor();
    assert.equal(await page.getByLabel('Email').inputValue(), employee.email);
    await page.getByLabel('Password').fill(employee.password);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('heading', { level: 1, name: 'Recovery keys' }).waitFor();
    assert.equal(page.url(), `${url}/keys`);
    await page.goto(`${url}/orgs`);
    const listed = page.locator('.card-list > li').filter({ hasText: 'Acme IT' });
    await listed.getByText('Helpdesk').waitFor();
    assert.equal(await listed.getByRole('link', { name: /Sign-in settings/ }).count(), 0);
    await listed.getByRole('link', { name: 'Acme IT' }).click();
    const library = page.url();

    // The provider made the account: it has no password, and a passkey meets the rule.
    await page
      .getByRole('alert')
      .getByText(/Acme IT asks owners, admins and its helpdesk/)
      .waitFor();
    await page.getByRole('link', { name: 'Go to Security' }).click();
    const passkeys = page.getByRole('region', { name: 'Passkeys' });
    await passkeys.getByRole('button', { name: 'Add a passkey' }).click();
    await passkeys.getByText(/has no password: a sign-in of the last 5 minutes/).waitFor();
    assert.equal(await passkeys.getByLabel('Your password').count(), 0);
    await assertAccessible(page, 'adding a passkey to an account without a password');
    await passkeys.getByLabel('Name').fill('Work laptop');
    await passkeys.getByRole('button', { name: 'Create passkey' }).click();
    await passkeys.getByRole('paragraph').filter({ hasText: 'Work laptop' }).waitFor();

    await page.goto(library);
    await page.getByRole('heading', { level: 1, name: /Acme IT/ }).waitFor();
    await page.getByText("This organisation's library has no keys yet.").waitFor();
    await assertAccessible(page, "the organisation's library after an organisation sign-in");

    const accounts = await page.evaluate(async () => {
      const answer = (await (await fetch('/api/v1/auth/accounts')).json()) as {
        accounts: { email: string; signedIn: boolean }[];
      };
      return answer.accounts.map((account) => [account.email, account.signedIn]).sort();
    });
    assert.deepEqual(accounts, [
      [employee.email, true],
      [owner.email, true],
    ]);
    assert.deepEqual(problems.errors, []);
    await context.close();
  });

  it('shows a refused answer in the reader’s language, with a way to start again, at 375 px', async () => {
    const { context } = await openContext(browser, { locale: 'nb-NO', width: 375, height: 800 });
    const page = await context.newPage();
    await page.goto(`${url}/sign-in/sso?code=made-up&state=never-issued`);
    await page
      .getByRole('alert')
      .getByText(/Begynn på nytt med e-postadressen din/)
      .waitFor();
    await page.getByRole('link', { name: 'Begynn på nytt med e-postadressen din' }).waitFor();
    assert.equal(new URL(page.url()).search, '', 'the code leaves the address bar');
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.equal(overflow, 0);
    await assertAccessible(page, 'a refused organisation sign-in');
    await context.close();
  });
});
