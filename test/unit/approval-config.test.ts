/**
 * Approval settings (issue 17): `required` as soon as a trusted approvals service is configured, `off` without one;
 * public keys only; the tenants file and the `APPROVAL_*` variables alike. Messages hold no key material.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { verificationOf } from '../../activities/approval-tokens.js';
import { ConfigError, loadConfig } from '../../worker/config.js';
import { tenantsFromConfig } from '../../worker/plugin-tenants.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'approval-'));
function file(content: unknown): string {
  const f = path.join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, JSON.stringify(content));
  chmodSync(f, 0o600);
  return f;
}
const publicJwk = { kty: 'OKP', crv: 'Ed25519', x: 'Z6UVJQwEKpWoJRLyWMLsQXCT73t0XLOPnRpsZiwfnfo', kid: 'k1' };
const defender = {
  DEFENDER_TENANT_ID: '11111111-1111-4111-8111-111111111111',
  DEFENDER_CLIENT_ID: 'c',
  DEFENDER_CLIENT_SECRET: 'not-a-real-secret',
};

describe('approval settings', () => {
  it('nothing configured: named approvals (off); an issuer: required', () => {
    assert.equal(verificationOf(loadConfig(defender).approval), 'off');
    const keys = file({ keys: [publicJwk] });
    const config = loadConfig({
      ...defender,
      APPROVAL_ISSUER: 'https://approvals.contoso.com',
      APPROVAL_KEYS_FILE: keys,
    });
    assert.equal(verificationOf(config.approval), 'required');
    assert.equal(tenantsFromConfig(config).default?.approval?.issuers[0]?.issuer, 'https://approvals.contoso.com');
    const off = loadConfig({
      ...defender,
      APPROVAL_ISSUER: 'https://a.test',
      APPROVAL_KEYS_FILE: keys,
      APPROVAL_VERIFICATION: 'off',
    });
    assert.equal(verificationOf(off.approval), 'off');
  });

  it('refuses a private key, required without an issuer, a lone issuer, http off loopback; never echoing a key', () => {
    const refusal = (env: Record<string, string>, pattern: RegExp) => {
      assert.throws(
        () => loadConfig({ ...defender, ...env }),
        (err: unknown) =>
          err instanceof ConfigError && pattern.test(err.message) && !/Z6UVJQ|secret-d/.test(err.message),
      );
    };
    const privateKeys = file({ keys: [{ ...publicJwk, d: 'secret-d' }] });
    refusal({ APPROVAL_ISSUER: 'https://a.test', APPROVAL_KEYS_FILE: privateKeys }, /must be a public key/);
    refusal({ APPROVAL_VERIFICATION: 'required' }, /needs at least one trusted issuer/);
    refusal({ APPROVAL_ISSUER: 'https://a.test' }, /go together/);
    refusal({ APPROVAL_ISSUER: 'http://a.test', APPROVAL_KEYS_FILE: file({ keys: [publicJwk] }) }, /https URL/);
    refusal({ APPROVAL_VERIFICATION: 'maybe' }, /APPROVAL_VERIFICATION/);
  });

  it('a tenants file gives each tenant its approval settings', () => {
    const tenants = file({
      tenants: {
        contoso: {
          tenantId: '22222222-2222-4222-8222-222222222222',
          clientId: 'c',
          clientSecretEnv: 'CONTOSO_SECRET',
          approval: { issuers: [{ issuer: 'https://approvals.contoso.com', keys: { keys: [publicJwk] } }] },
        },
        lab: { tenantId: '33333333-3333-4333-8333-333333333333', clientId: 'c', clientSecretEnv: 'CONTOSO_SECRET' },
      },
    });
    const config = loadConfig({ DEFENDER_TENANTS_FILE: tenants, CONTOSO_SECRET: 'not-a-real-secret' });
    const options = tenantsFromConfig(config);
    assert.equal(verificationOf(options.contoso?.approval), 'required');
    assert.equal(verificationOf(options.lab?.approval), 'off');
  });
});
