import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import {
  assertAccessible,
  browserSkip,
  callApi,
  launchChromium,
  newPerson,
  openContext,
  screenshot,
  signUp,
  startKeyhold,
  type KeyholdServer,
} from './browser.js';

/** Fails unless the element lies wholly inside the viewport's width. */
async function assertWithinWidth(page: Page, element: Locator, what: string) {
  const box = await element.boundingBox();
  const width = page.viewportSize()?.width ?? 0;
  assert.ok(box, `${what} is not shown`);
  assert.ok(
    box.x >= 0 && box.x + box.width <= width + 0.5,
    `${what} spans ${box.x.toFixed(1)}..${(box.x + box.width).toFixed(1)} px of ${width}`,
  );
}

async function assertNoSidewaysScroll(page: Page, where: string) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  assert.equal(overflow, 0, `${where} scrolls sideways`);
}

describe(
  'the account picker, the rating and the sign-in settings on narrow and wide screens',
  { skip: browserSkip },
  () => {
    let server: KeyholdServer;
    let browser: Browser;

    before(async () => {
      server = await startKeyhold();
      browser = await launchChromium();
    });
    after(async () => {
      await browser.close();
      await server.stop();
    });

    for (const width of [375, 1280]) {
      it(`says "several accounts" only for several, and fits a long email at ${width} px`, async () => {
        const { context, problems } = await openContext(browser, { width, height: 800 });
        const page = await context.newPage();
        const person = newPerson('Maximiliane Wilhelmina Featherstonehaugh-Cholmondeley');
        person.email = `maximiliane.wilhelmina.featherstonehaugh-cholmondeley.${person.email}`;
        await signUp(page, server.url, person);

        await page.goto(`${server.url}/sign-in`);
        await page.getByRole('heading', { level: 1, name: 'Choose an account' }).waitFor();
        await page.getByText('Continue with this account, or use another one.').waitFor();
        assert.equal(await page.getByText(/several accounts/).count(), 0);

        // Signed out, the row also offers "Remove": every part must stay on the screen.
        await page.goto(`${server.url}/keys`);
        await page.getByRole('button', { name: `Account menu for ${person.name}` }).click();
        await page.getByRole('button', { name: 'Sign out', exact: true }).click();
        await page.getByRole('heading', { level: 1, name: 'Choose an account' }).waitFor();
        const picker = page.getByRole('list', { name: 'Accounts in this browser' });
        const row = picker.getByRole('button', { name: new RegExp(person.name) });
        await row.getByText('Signed out').waitFor();
        await screenshot(page, `account-picker-${width}`);
        await assertWithinWidth(page, row, 'the account button');
        await assertWithinWidth(page, row.getByText(person.email), 'the email');
        await assertWithinWidth(page, row.getByText('Signed out'), 'the signed-out badge');
        await assertWithinWidth(
          page,
          picker.getByRole('button', { name: `Remove ${person.email}` }),
          'the remove button',
        );
        await assertWithinWidth(
          page,
          picker.getByRole('button', { name: 'Use another account' }),
          'the use-another button',
        );
        await assertNoSidewaysScroll(page, 'the account picker');

        // A second account makes them several.
        await page.getByRole('button', { name: 'Use another account' }).click();
        await page.getByRole('link', { name: 'Create an account' }).click();
        await signUp(page, server.url, newPerson('Ida Second'));
        await page.goto(`${server.url}/sign-in`);
        await page.getByText('You have several accounts in this browser.').waitFor();
        assert.deepEqual(problems.errors, []);
        await context.close();
      });

      it(`shows the 1-5 rating on one line at ${width} px`, async () => {
        const { context, problems } = await openContext(browser, { width, height: 800 });
        const page = await context.newPage();
        await page.goto(`${server.url}/help/back-up-recovery-key`);
        await page.getByRole('button', { name: 'Yes' }).click();
        const options = page.locator('.rating-option');
        await options.first().waitFor();
        assert.equal(await options.count(), 5);
        const tops = new Set<number>();
        for (let index = 0; index < 5; index += 1) {
          const option = options.nth(index);
          await assertWithinWidth(page, option, `rating ${index + 1}`);
          tops.add(Math.round((await option.boundingBox())?.y ?? -1));
        }
        assert.equal(tops.size, 1, 'the five ratings share one line');
        await screenshot(page, `rating-${width}`);
        await assertNoSidewaysScroll(page, 'the help article with its feedback form');
        assert.deepEqual(problems.errors, []);
        await context.close();
      });
    }

    for (const language of ['en', 'nb']) {
      it(`fits an organisation's sign-in settings, with long domains, on a 375 px screen in ${language}`, async () => {
        const { context, problems } = await openContext(browser, { width: 375, height: 800 });
        const page = await context.newPage();
        await signUp(page, server.url, newPerson('Olive Owner'));
        const { organisation } = await callApi<{ organisation: { id: string } }>(
          page,
          'POST',
          '/orgs',
          { name: 'Acme International Information Technology Services' },
        );
        const domains = [
          `helpdesk.northern-region.acme-international-technology-services-${language}.example`,
          `acme-${language}.example`,
        ];
        for (const domain of domains) {
          await callApi(page, 'POST', `/orgs/${organisation.id}/sign-in/domains`, { domain });
        }
        await callApi(
          page,
          'POST',
          `/orgs/${organisation.id}/sign-in/domains/${domains[1]}/verify`,
        );

        // The language a person picks in the app (the longer Bokmål words wrap differently).
        await page.evaluate((chosen) => {
          localStorage.setItem('keyhold.language', chosen);
        }, language);
        await page.goto(`${server.url}/orgs/${organisation.id}/sign-in-settings`);
        await page.locator('.session-device', { hasText: domains[0] }).waitFor();
        assert.equal(await page.evaluate(() => document.documentElement.lang), language);
        const sections = page.locator('main section');
        await sections.nth(2).locator('button').waitFor();
        assert.equal(await sections.count(), 3, 'provider, domains and policies');
        for (const section of await sections.all()) {
          await assertWithinWidth(
            page,
            section,
            `the section "${await section.locator('h2').innerText()}"`,
          );
        }
        // Every field, button and domain row a person uses stays on the screen.
        const controls = page.locator(
          'main :is(input:not([type=hidden]), select, textarea, button, .session-row)',
        );
        assert.ok((await controls.count()) > 10);
        for (const control of await controls.all()) {
          const what = (await control.getAttribute('id')) ?? (await control.innerText());
          await assertWithinWidth(page, control, `"${what}"`);
        }
        await screenshot(page, `org-sign-in-settings-375-${language}`);
        await assertNoSidewaysScroll(page, 'the sign-in settings');
        await assertAccessible(page, `the sign-in settings at 375 px in ${language}`);
        assert.deepEqual(problems.errors, []);
        await context.close();
      });
    }
  },
);
