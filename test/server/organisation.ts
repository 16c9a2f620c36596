import type { TestApp } from './harness.js';
import { TestBrowser } from './harness.js';
import { testPassword, uniqueEmail } from './key-library.js';

/** An organisation with one person in each role, as the organisation tests start from. */
export interface TestOrganisation {
  orgId: string;
  people: Record<OrganisationRole, { browser: TestBrowser; email: string; id: string }>;
}

export type OrganisationRole = 'owner' | 'admin' | 'helpdesk' | 'member' | 'auditor';

/** Signs up one person per role and makes the first the owner of a new organisation. */
export async function startOrganisation(server: TestApp, name: string): Promise<TestOrganisation> {
  const person = async (role: string) => {
    const browser = new TestBrowser(server.app);
    const email = uniqueEmail(role);
    const id = await browser.signup(email, testPassword);
    return { browser, email, id };
  };
  const owner = await person('owner');
  const created = await owner.browser.request<{ organisation: { id: string } }>(
    'POST',
    '/api/v1/orgs',
    { body: { name } },
  );
  const orgId = created.body.organisation.id;
  const people = { owner } as TestOrganisation['people'];
  for (const role of ['admin', 'helpdesk', 'member', 'auditor'] as const) {
    const someone = await person(role);
    const added = await owner.browser.request('POST', `/api/v1/orgs/${orgId}/members`, {
      body: { email: someone.email, role },
    });
    if (added.status !== 201) throw new Error(`adding a ${role} failed: ${added.status}`);
    people[role] = someone;
  }
  return { orgId, people };
}

/** A GET answered as text (CSV), with the browser's cookies. */
export async function getText(
  server: TestApp,
  browser: TestBrowser,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; contentType: string }> {
  const response = await server.app.inject({
    method: 'GET',
    url,
    remoteAddress: browser.ipAddress,
    headers: {
      cookie: [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
      ...headers,
    },
  });
  return {
    status: response.statusCode,
    body: response.body,
    contentType: String(response.headers['content-type'] ?? ''),
  };
}
