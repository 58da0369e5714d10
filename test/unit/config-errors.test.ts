/**
 * Configuration errors name the variable (or the tenants file's tenant and field) and the rule, and never print the
 * value back: every variable the worker reads is set to an invalid value carrying a secret-looking marker, and no
 * part of the marker may appear in the error.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, WORKER_ENV_VARIABLES } from '../../worker/config.js';

const MARKER = 'Zq9xKv7wP2vLmQ8j';
const TENANT_ID = '11111111-1111-4111-8111-111111111111';

/**
 * Every refusal goes to the run's logs and the marker to its secrets, as a worker's stderr would: the final secret scan
 * (test/final/secret-scan.test.ts) then checks the configuration-error path along with every other log of the run.
 */
const RESULTS_DIR = process.env.TEST_RESULTS_DIR ?? path.resolve('test-results');
const LOG = path.join(RESULTS_DIR, 'logs', `config-errors-${process.pid}.log`);
mkdirSync(path.dirname(LOG), { recursive: true });
mkdirSync(path.join(RESULTS_DIR, 'secrets'), { recursive: true });
writeFileSync(path.join(RESULTS_DIR, 'secrets', `config-errors-${process.pid}.txt`), `${MARKER}\n`);

/** No 6-character piece of the marker: a message that cut or reformatted the value would still show one. */
function assertNoEcho(message: string, what: string): void {
  for (let i = 0; i + 6 <= MARKER.length; i++) {
    const piece = MARKER.slice(i, i + 6);
    assert.ok(!message.toLowerCase().includes(piece.toLowerCase()), `${what} echoes "${piece}": ${message}`);
  }
}

function refusal(env: NodeJS.ProcessEnv, what: string): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `${what}: ${String(err)}`);
    appendFileSync(LOG, `${err.message}\n`);
    assertNoEcho(err.message, what);
    return err.message;
  }
  assert.fail(`${what} was accepted`);
}

const M = MARKER;
const missing = `/nonexistent-${M}/file`;

/** Each variable with values it refuses, and what the refusal must say. */
const INVALID: Record<string, [string, RegExp][]> = {
  TEMPORAL_TLS: [[M, /TEMPORAL_TLS: .*"true"/]],
  TEMPORAL_TLS_CLIENT_CERT_PATH: [
    [missing, /TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together/],
  ],
  TEMPORAL_TLS_CLIENT_KEY_PATH: [
    [missing, /TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together/],
  ],
  TEMPORAL_DEPLOYMENT_NAME: [[`/${M}`, /TEMPORAL_DEPLOYMENT_NAME: must be letters/]],
  TEMPORAL_WORKER_BUILD_ID: [[`/${M}`, /TEMPORAL_WORKER_BUILD_ID: must be letters/]],
  DEFENDER_CLOUD: [[M, /DEFENDER_CLOUD: must be one of commercial/]],
  DEFENDER_API_URL: [
    [M, /DEFENDER_API_URL: is not a valid absolute URL/],
    [`http://${M}.example`, /DEFENDER_API_URL: must use https/],
    [`https://svc:${M}@api.example`, /DEFENDER_API_URL: must not carry credentials/],
    [`https://api.example/?key=${M}`, /DEFENDER_API_URL: must not have a query/],
  ],
  DEFENDER_LOGIN_URL: [
    [M, /DEFENDER_LOGIN_URL: is not a valid absolute URL/],
    [`ftp://${M}.example`, /DEFENDER_LOGIN_URL: must use https/],
    [`https://login.example/#${M}`, /DEFENDER_LOGIN_URL: must not have a query or fragment/],
  ],
  DEFENDER_TENANT_ID: [[`${M}!`, /DEFENDER_TENANT_ID: must be a tenant GUID or domain name/]],
  DEFENDER_SCOPE: [[M, /DEFENDER_SCOPE: must be an https resource URI/]],
  DEFENDER_REQUEST_TIMEOUT_MS: [[M, /DEFENDER_REQUEST_TIMEOUT_MS: must be an integer from 1000 to 55000/]],
  DEFENDER_RATE_PER_MINUTE: [[M, /DEFENDER_RATE_PER_MINUTE: must be an integer from 1 to 100 \(Defender's limit/]],
  DEFENDER_RATE_PER_HOUR: [[M, /DEFENDER_RATE_PER_HOUR: must be an integer from 1 to 1500 \(Defender's limit/]],
  DEFENDER_RATE_TIME_SCALE: [[M, /DEFENDER_RATE_TIME_SCALE: must be an integer from 1 to 10000/]],
  DEFENDER_RATE_BURST: [[M, /DEFENDER_RATE_BURST: must be 'on' or 'off'/]],
  DEFENDER_TENANTS_FILE: [[missing, /DEFENDER_TENANTS_FILE: tenants file: no such file/]],
  APPROVAL_VERIFICATION: [[M, /APPROVAL_VERIFICATION: .*"required"/]],
  APPROVAL_ISSUER: [
    [M, /APPROVAL_ISSUER: must be an https URL/],
    [`https://${M}.example`, /APPROVAL_ISSUER and APPROVAL_KEYS_FILE go together/],
  ],
  APPROVAL_KEYS_FILE: [[missing, /APPROVAL_ISSUER and APPROVAL_KEYS_FILE go together/]],
  NUDGE_TEAMS_URL: [
    [M, /NUDGE_TEAMS_URL: must be an https URL \(http only on loopback\)/],
    [`http://${M}.example/workflows/x`, /NUDGE_TEAMS_URL: must be an https URL/],
  ],
  NUDGE_SLACK_URL: [[`https://svc:${M}@hooks.example/services/x`, /NUDGE_SLACK_URL: must be an https URL/]],
  NUDGE_WEBHOOK_URL: [[`ftp://soar.example/${M}`, /NUDGE_WEBHOOK_URL: must be an https URL/]],
  NUDGE_RATE_PER_SECOND: [[M, /NUDGE_RATE_PER_SECOND: must be a number from 0.01 to 100/]],
  APPROVALS_PAGE_URL: [[`https://approvals.example/?k=${M}`, /APPROVALS_PAGE_URL: must be an https URL/]],
  WORKER_MAX_CACHED_WORKFLOWS: [[M, /WORKER_MAX_CACHED_WORKFLOWS: must be an integer/]],
  WORKFLOW_BUNDLE_PATH: [[missing, /WORKFLOW_BUNDLE_PATH: no such file/]],
  METRICS_BIND_ADDRESS: [[M, /METRICS_BIND_ADDRESS: must be host:port/]],
  LOG_FORMAT: [[M, /LOG_FORMAT: .*"json"/]],
  LOG_LEVEL: [[M, /LOG_LEVEL: .*"INFO"/]],
  OTEL_EXPORTER_OTLP_ENDPOINT: [
    [M, /OTEL_EXPORTER_OTLP_ENDPOINT: must be an http or https URL/],
    [`ftp://${M}:4317`, /OTEL_EXPORTER_OTLP_ENDPOINT: must be an http or https URL/],
  ],
};

/** Free text with no rule to break; the three credentials are refused together (below). */
const FREE_FORM = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_TASK_QUEUE',
  'TEMPORAL_API_KEY',
  'DEFENDER_CLIENT_ID',
  'DEFENDER_CLIENT_SECRET',
  'APPROVAL_IDENTITY_PROVIDERS',
];

describe('configuration errors never echo a value', () => {
  it('covers every variable the worker reads', () => {
    const uncovered = WORKER_ENV_VARIABLES.filter((v) => !(v in INVALID) && !FREE_FORM.includes(v));
    assert.deepEqual(uncovered, []);
  });

  for (const [name, values] of Object.entries(INVALID)) {
    for (const [value, rule] of values) {
      it(`${name}=${value.replace(M, '<secret>')}: names the variable and the rule`, () => {
        assert.match(refusal({ [name]: value }, name), rule);
      });
    }
  }

  it('a partial set of credentials names the missing variables, not the given ones', () => {
    const message = refusal({ DEFENDER_CLIENT_SECRET: M, DEFENDER_CLIENT_ID: `client-${M}` }, 'credentials');
    assert.match(message, /DEFENDER_TENANT_ID must be set too/);
  });

  it('unreadable TLS files are named by their variables', () => {
    const message = refusal(
      { TEMPORAL_TLS_CLIENT_CERT_PATH: missing, TEMPORAL_TLS_CLIENT_KEY_PATH: missing },
      'TLS paths',
    );
    assert.match(message, /TEMPORAL_TLS_CLIENT_CERT_PATH: no such file/);
  });
});

describe('tenants file errors never echo a value', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tenants-echo-'));
  const tenant = { tenantId: TENANT_ID, clientId: 'c-1', clientSecretEnv: 'CONTOSO_SECRET' };
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['apiUrl', { apiUrl: `http://${M}.example` }, /tenants\.contoso\.apiUrl: must use https/],
    ['loginUrl', { loginUrl: M }, /tenants\.contoso\.loginUrl: is not a valid absolute URL/],
    ['loginUrl with a query', { loginUrl: `https://login.example/?s=${M}` }, /loginUrl: must not have a query/],
    ['tenantId', { tenantId: `${M}!` }, /tenants\.contoso\.tenantId: must be a tenant GUID or domain name/],
    ['clientSecretEnv', { clientSecretEnv: `${M}-name` }, /clientSecretEnv: must be an environment variable name/],
    ['scope', { scope: M }, /tenants\.contoso\.scope: must be an https resource URI/],
    ['cloud', { cloud: M }, /tenants\.contoso\.cloud: must be one of/],
    ['both secret forms', { clientSecret: M }, /give exactly one of clientSecret and clientSecretEnv/],
    ['ratePerMinute', { ratePerMinute: M }, /ratePerMinute: must be an integer from 1 to 100/],
    ['nudge.teamsUrl', { nudge: { teamsUrl: `http://${M}.example/x` } }, /contoso\.nudge\.teamsUrl: must be an https/],
    ['nudge, both forms', { nudge: { slackUrl: `https://h.example/${M}`, slackUrlEnv: 'S' } }, /at most one of/],
    ['nudge.webhookUrlEnv unset', { nudge: { webhookUrlEnv: 'NOT_SET_ANYWHERE' } }, /NOT_SET_ANYWHERE is not set/],
    ['nudge.webhookUrlEnv invalid', { nudge: { webhookUrlEnv: 'CONTOSO_SECRET' } }, /CONTOSO_SECRET must be an https/],
  ];
  for (const [what, change, rule] of cases) {
    it(`${what}: names the tenant, the field and the rule`, () => {
      const file = path.join(dir, `${what.replace(/\W/g, '-')}.json`);
      writeFileSync(file, JSON.stringify({ tenants: { contoso: { ...tenant, ...change } } }), { mode: 0o600 });
      assert.match(refusal({ DEFENDER_TENANTS_FILE: file, CONTOSO_SECRET: `http://${M}.example` }, what), rule);
    });
  }

  it('a file path is not repeated: the variable names the file', () => {
    const message = refusal({ DEFENDER_TENANTS_FILE: dir.replace('tenants-echo', M) }, 'missing file');
    assert.match(message, /DEFENDER_TENANTS_FILE: tenants file: no such file/);
  });
});
