/**
 * The worker's configuration: the tenants file (validated at start, secrets by reference, messages without values) and
 * the workflow cache bound.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../worker/config.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tenants-'));
function file(content: unknown): string {
  const f = path.join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
}
const contoso = { tenantId: 't-1', clientId: 'c-1', clientSecretEnv: 'CONTOSO_SECRET', cloud: 'eu', ratePerHour: 900 };

describe('DEFENDER_TENANTS_FILE', () => {
  it('loads named tenants with their cloud, budget and the secret from the environment', () => {
    const config = loadConfig({
      DEFENDER_TENANTS_FILE: file({ tenants: { contoso } }),
      CONTOSO_SECRET: 's3cr3t-value',
    });
    assert.deepEqual(config.tenants.contoso, {
      credentials: {
        apiUrl: 'https://eu.api.security.microsoft.com',
        loginUrl: 'https://login.microsoftonline.com',
        tenantId: 't-1',
        clientId: 'c-1',
        clientSecret: 's3cr3t-value',
        scope: 'https://api.securitycenter.microsoft.com/.default',
      },
      rate: { perMinute: undefined, perHour: 900 },
    });
  });

  const refusals: [string, unknown, RegExp][] = [
    [
      'a missing secret variable',
      { tenants: { contoso: { ...contoso, clientSecretEnv: 'MISSING_SECRET' } } },
      /tenant contoso: environment variable MISSING_SECRET is not set/,
    ],
    [
      'the reserved name "default"',
      { tenants: { default: { ...contoso } } },
      /"default" is the tenant of the DEFENDER_/,
    ],
    ['an invalid tenant name', { tenants: { 'Contoso Ltd': contoso } }, /tenant names are lowercase/],
    ['both secret forms', { tenants: { contoso: { ...contoso, clientSecret: 'inline-Secret-1' } } }, /exactly one/],
    ['an unknown field', { tenants: { contoso: { ...contoso, password: 'x' } } }, /unrecognized key/i],
    ['plain http', { tenants: { contoso: { ...contoso, apiUrl: 'http://defender.example' } } }, /https/],
    ['not JSON', '{ tenants: ', /not JSON/],
  ];
  for (const [what, content, message] of refusals) {
    it(`refuses ${what}, naming the problem and no secret`, () => {
      assert.throws(
        () => loadConfig({ DEFENDER_TENANTS_FILE: file(content), CONTOSO_SECRET: 's3cr3t-value' }),
        (err: Error) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, message);
          assert.doesNotMatch(err.message, /inline-Secret-1|s3cr3t/);
          return true;
        },
      );
    });
  }
});

describe('WORKER_MAX_CACHED_WORKFLOWS', () => {
  it('is the SDK default when unset, a bound when set, and refused when not a whole number', () => {
    assert.equal(loadConfig({}).maxCachedWorkflows, undefined);
    assert.equal(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '100' }).maxCachedWorkflows, 100);
    assert.throws(
      () => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: 'lots' }),
      (err: Error) => err instanceof ConfigError && /WORKER_MAX_CACHED_WORKFLOWS/.test(err.message),
    );
  });
});
