/**
 * The worker's configuration: the tenants file (validated at start, secrets by reference, messages without values) and
 * the workflow cache bound.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../worker/config.js';
import { DefenderIsolationPlugin } from '../../worker/plugin.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tenants-'));
function file(content: unknown, mode = 0o600): string {
  const f = path.join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  chmodSync(f, mode);
  return f;
}

/** The ConfigError `loadConfig` throws for a tenants file, checked to hold no secret. */
function refusal(content: unknown, mode?: number): ConfigError {
  try {
    loadConfig({ DEFENDER_TENANTS_FILE: file(content, mode), CONTOSO_SECRET: 's3cr3t-value' });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.doesNotMatch(err.message, /inline-Secret-1|s3cr3t/);
    return err;
  }
  assert.fail('the file was accepted');
}
const TENANT_ID = '11111111-1111-4111-8111-111111111111';
const contoso = {
  tenantId: TENANT_ID,
  clientId: 'c-1',
  clientSecretEnv: 'CONTOSO_SECRET',
  cloud: 'eu',
  ratePerHour: 900,
};

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
        tenantId: TENANT_ID,
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
      /tenant "default": the name is reserved for the tenant of the DEFENDER_\* variables/,
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

describe('tenants file: reserved names are refused, never dropped', () => {
  // Written as JSON text: in a JS object literal, `__proto__` would set the prototype instead of making a key.
  for (const name of ['__proto__', 'constructor', 'prototype', 'hasOwnProperty']) {
    it(`refuses a tenant named ${name}, naming it and the rule`, () => {
      const err = refusal(
        `{ "tenants": { "${name}": ${JSON.stringify(contoso)}, "fabrikam": ${JSON.stringify(contoso)} } }`,
      );
      assert.match(err.message, new RegExp(`tenant "${name}": the name is reserved`));
    });
  }

  it('a tenant named after an Object property never answers for an unconfigured tenant', () => {
    const config = loadConfig({
      DEFENDER_TENANTS_FILE: file({ tenants: { contoso } }),
      CONTOSO_SECRET: 's3cr3t-value',
    });
    assert.equal(config.tenants.constructor, undefined);
    assert.deepEqual(Object.keys(config.tenants), ['contoso']);
  });

  it('names an oversized or malformed key cut to 40 characters', () => {
    const err = refusal({ tenants: { ['X'.repeat(640 * 1024)]: contoso } });
    assert.match(err.message, /tenant "X{40}…": tenant names are lowercase/);
    assert.ok(err.message.length < 300, `${err.message.length} characters`);
  });

  it('names oversized unknown fields cut to size, a few at a time', () => {
    const extra = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((c) => [c.repeat(640 * 1024), 1]));
    const err = refusal({ tenants: { contoso: { ...contoso, ...extra } } });
    assert.match(err.message, /tenants\.contoso: unrecognized key\(s\) "a{40}…", .* and 2 more/);
    assert.ok(err.message.length < 600, `${err.message.length} characters`);
  });
});

describe('tenants file: inline secrets need a private file', () => {
  const inline = { tenants: { contoso: { ...contoso, clientSecretEnv: undefined, clientSecret: 'inline-Secret-1' } } };

  for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602, 0o666]) {
    it(`refuses mode ${mode.toString(8)} naming the file's variable and the rule`, () => {
      const err = refusal(inline, mode);
      assert.match(
        err.message,
        /DEFENDER_TENANTS_FILE: the tenants file holds client secrets \(tenant contoso\) and is readable or writable by group or others \(mode 0\d{3}\): chmod 600/,
      );
    });
  }

  it('loads them from a file only its owner may read', () => {
    for (const mode of [0o600, 0o400]) {
      const config = loadConfig({ DEFENDER_TENANTS_FILE: file(inline, mode) });
      assert.equal(config.tenants.contoso?.credentials.clientSecret, 'inline-Secret-1');
    }
  });

  it('a file of secret references may be readable by others', () => {
    const config = loadConfig({
      DEFENDER_TENANTS_FILE: file({ tenants: { contoso } }, 0o644),
      CONTOSO_SECRET: 's3cr3t-value',
    });
    assert.equal(config.tenants.contoso?.credentials.clientSecret, 's3cr3t-value');
  });
});

describe("rates are capped at Defender's limit per app and tenant (100/min, 1500/h)", () => {
  for (const [field, value, rule] of [
    ['ratePerMinute', 1e12, /tenants\.contoso\.ratePerMinute: must be an integer from 1 to 100 \(Defender's limit/],
    ['ratePerMinute', 101, /ratePerMinute: must be an integer from 1 to 100/],
    ['ratePerMinute', 0, /ratePerMinute: must be an integer from 1 to 100/],
    ['ratePerMinute', 2.5, /ratePerMinute: must be an integer from 1 to 100/],
    ['ratePerHour', 1501, /tenants\.contoso\.ratePerHour: must be an integer from 1 to 1500/],
    ['ratePerHour', '900', /ratePerHour: must be an integer from 1 to 1500/],
  ] as const) {
    it(`the tenants file refuses ${field}: ${JSON.stringify(value)}`, () => {
      assert.match(refusal({ tenants: { contoso: { ...contoso, [field]: value } } }).message, rule);
    });
  }

  it('the tenants file accepts the limit itself and less', () => {
    const config = loadConfig({
      DEFENDER_TENANTS_FILE: file({ tenants: { contoso: { ...contoso, ratePerMinute: 100, ratePerHour: 1500 } } }),
      CONTOSO_SECRET: 's3cr3t-value',
    });
    assert.deepEqual(config.tenants.contoso?.rate, { perMinute: 100, perHour: 1500 });
  });

  for (const [name, value, max] of [
    ['DEFENDER_RATE_PER_MINUTE', '101', 100],
    ['DEFENDER_RATE_PER_MINUTE', '1000000000000', 100],
    ['DEFENDER_RATE_PER_HOUR', '1501', 1500],
  ] as const) {
    it(`${name}=${value} is refused`, () => {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (err: Error) =>
          err instanceof ConfigError &&
          new RegExp(`${name}: must be an integer from 1 to ${max} \\(Defender's`).test(err.message),
      );
    });
  }

  it('the limit itself is the default and accepted', () => {
    assert.deepEqual(loadConfig({}).rateBudget, { perMinute: 100, perHour: 1500, timeScale: 1, burst: true });
    const config = loadConfig({ DEFENDER_RATE_PER_MINUTE: '100', DEFENDER_RATE_PER_HOUR: '1500' });
    assert.deepEqual(config.rateBudget, { perMinute: 100, perHour: 1500, timeScale: 1, burst: true });
    assert.equal(loadConfig({ DEFENDER_RATE_BURST: 'off' }).rateBudget.burst, false);
  });

  it('a compressed time scale is for a loopback simulator only: it would multiply the budget at Defender', () => {
    const credentials = {
      DEFENDER_TENANT_ID: TENANT_ID,
      DEFENDER_CLIENT_ID: 'c-1',
      DEFENDER_CLIENT_SECRET: 's3cr3t-value',
    };
    assert.throws(
      () => loadConfig({ ...credentials, DEFENDER_RATE_TIME_SCALE: '60' }),
      /DEFENDER_RATE_TIME_SCALE: must be 1 unless every tenant's API URL is a loopback simulator/,
    );
    assert.throws(
      () =>
        loadConfig({
          DEFENDER_RATE_TIME_SCALE: '60',
          DEFENDER_TENANTS_FILE: file({ tenants: { contoso } }),
          CONTOSO_SECRET: 's3cr3t-value',
        }),
      /DEFENDER_RATE_TIME_SCALE/,
    );
    const simulated = loadConfig({
      ...credentials,
      DEFENDER_API_URL: 'http://127.0.0.1:8089',
      DEFENDER_LOGIN_URL: 'http://127.0.0.1:8089',
      DEFENDER_RATE_TIME_SCALE: '60',
    });
    assert.equal(simulated.rateBudget.timeScale, 60);
  });
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

describe('nudge channels (docs/nudges.md)', () => {
  const teams = 'https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=xyz';

  it('the default tenant from NUDGE_*_URL, a named one from the file (by variable name), the page origin', () => {
    const config = loadConfig({
      NUDGE_TEAMS_URL: teams,
      NUDGE_WEBHOOK_URL: 'http://127.0.0.1:9999/nudges',
      NUDGE_RATE_PER_SECOND: '0.5',
      APPROVALS_PAGE_URL: 'https://approvals.contoso.com/',
      DEFENDER_TENANTS_FILE: file({
        tenants: { contoso: { ...contoso, nudge: { slackUrlEnv: 'CONTOSO_SLACK' } } },
      }),
      CONTOSO_SECRET: 's3cr3t-value',
      CONTOSO_SLACK: 'https://hooks.slack.com/services/T0/B0/x',
    });
    assert.deepEqual(config.nudge, {
      urls: { teams, webhook: 'http://127.0.0.1:9999/nudges' },
      ratePerSecond: 0.5,
      pageUrl: 'https://approvals.contoso.com',
    });
    assert.deepEqual(config.tenants.contoso?.nudge, { slack: 'https://hooks.slack.com/services/T0/B0/x' });
  });

  it('none configured: no channel, 1/s', () => {
    assert.deepEqual(loadConfig({}).nudge, { urls: {}, ratePerSecond: 1, pageUrl: undefined });
  });

  it('an inline webhook URL is a secret: the file must be private', () => {
    const inline = { tenants: { contoso: { ...contoso, nudge: { teamsUrl: teams } } } };
    assert.match(refusal(inline, 0o644).message, /chmod 600/);
    assert.doesNotMatch(refusal(inline, 0o644).message, /sig=xyz|logic\.azure/);
    const config = loadConfig({ DEFENDER_TENANTS_FILE: file(inline), CONTOSO_SECRET: 's3cr3t-value' });
    assert.deepEqual(config.tenants.contoso?.nudge, { teams });
  });
});

describe('the plugin checks nudge URLs without printing them', () => {
  it('refuses a plain-http URL off loopback and an unknown channel, naming the tenant and channel only', () => {
    assert.throws(
      () =>
        new DefenderIsolationPlugin({ tenants: { default: { nudge: { teams: 'http://hooks.example/sig=abc123' } } } }),
      (err: Error) =>
        /tenant "default": nudge\.teams must be an https URL/.test(err.message) && !/abc123/.test(err.message),
    );
    assert.throws(
      () => new DefenderIsolationPlugin({ tenants: { lab: { nudge: { pager: 'https://x.example' } as never } } }),
      /nudge channels are teams, slack and webhook/,
    );
    new DefenderIsolationPlugin({ tenants: { default: { nudge: { webhook: 'http://127.0.0.1:1/x' } } } });
  });
});
