/**
 * The local demo provider's ID tokens carry what the approvals page reads — `preferred_username`, `oid` and `groups` —
 * with the standard scopes only (`openid profile email`, as Entra is asked): the approver group works without a
 * `groups` scope, which Entra refuses. Signed in with the CLI's device flow, the provider's pages completed by HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { accountByUpn } from '../../approvals/idp/demo-accounts.js';
import { startLocalProvider, type LocalProvider } from '../../approvals/idp/local-provider.js';
import { SCOPES } from '../../approvals/page/oidc.js';
import { deviceSignIn } from '../../client/cli-device-sign-in.js';
import { completeDeviceSignIn } from '../helpers/device-sign-in.js';

describe('the local demo provider’s ID tokens', () => {
  let provider: LocalProvider;
  before(async () => {
    provider = await startLocalProvider({ redirectUri: 'http://127.0.0.1:9/callback' });
  });
  after(() => provider?.close());

  /** The claims of the ID token `upn` gets through the CLI's device sign-in. */
  async function claimsOf(upn: string) {
    let signIn: Promise<void> | undefined;
    const io = {
      out: () => {},
      err: (line: string) => {
        const prompt = /^To sign in, open (\S+) and enter code (\S+)$/.exec(line);
        if (prompt) signIn = completeDeviceSignIn({ verificationUri: prompt[1]!, userCode: prompt[2]!, upn });
      },
    };
    const info = { issuer: provider.issuer, clientId: provider.cliClientId, scope: SCOPES };
    const token = await deviceSignIn(info, io);
    await signIn;
    return decodeJwt(token);
  }

  it('are asked for with the standard scopes only', () => {
    assert.equal(SCOPES, 'openid profile email');
  });

  it('name the person and carry the groups claim: bob is in soc-approvers, carol in no group', async () => {
    const bob = await claimsOf('bob@contoso.com');
    assert.equal(bob.preferred_username, 'bob@contoso.com');
    assert.equal(bob.oid, accountByUpn('bob@contoso.com')!.sub);
    assert.deepEqual(bob.groups, ['soc-approvers']);
    assert.equal(bob.aud, provider.cliClientId);
    const carol = await claimsOf('carol@contoso.com');
    assert.deepEqual(carol.groups, []);
  });
});
