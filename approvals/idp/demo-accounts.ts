/**
 * The local identity provider's people: the SOC of the demo and the tests. `sub` is an Entra-like object id (a GUID),
 * stable and never the e-mail, as Entra's `oid` is; `preferred_username` is the name approvals are recorded under.
 */
export interface DemoAccount {
  upn: string;
  sub: string;
  name: string;
  groups: string[];
}

/** The demo password of every account: the provider binds to loopback and serves demos and tests only. */
export const DEMO_PASSWORD = 'demo';

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  {
    upn: 'alice@contoso.com',
    sub: '8f1c1a2e-0000-4000-8000-00000000a11c',
    name: 'Alice Analyst',
    groups: ['soc-approvers'],
  },
  { upn: 'bob@contoso.com', sub: '8f1c1a2e-0000-4000-8000-0000000000b0', name: 'Bob Lead', groups: ['soc-approvers'] },
  { upn: 'carol@contoso.com', sub: '8f1c1a2e-0000-4000-8000-00000000ca20', name: 'Carol Intern', groups: [] },
];

export function accountByUpn(upn: string): DemoAccount | undefined {
  const wanted = upn.trim().toLowerCase();
  return DEMO_ACCOUNTS.find((account) => account.upn === wanted);
}

export function accountBySub(sub: string): DemoAccount | undefined {
  return DEMO_ACCOUNTS.find((account) => account.sub === sub);
}
