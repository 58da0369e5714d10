/**
 * Completes a device-flow sign-in at the local demo provider as a person would in a browser, with plain HTTP: open the
 * verification page, enter the code, confirm it, sign in with the demo form. Cookies are kept per call, as a browser
 * profile would; redirects are followed by hand so that each page's form can be read.
 */
import assert from 'node:assert/strict';
import { DEMO_PASSWORD } from '../../approvals/idp/demo-accounts.js';

class Browser {
  readonly #cookies = new Map<string, string>();
  async go(url: string, form?: Record<string, string>): Promise<{ url: string; html: string }> {
    let response = await this.#request(url, form);
    let at = url;
    for (let hops = 0; response.status >= 300 && response.status < 400; hops++) {
      assert.ok(hops < 10, 'too many redirects');
      at = new URL(response.headers.get('location')!, at).href;
      response = await this.#request(at);
    }
    const html = await response.text();
    assert.equal(response.status, 200, `${at}: ${response.status} ${html.slice(0, 200)}`);
    return { url: at, html };
  }
  async #request(url: string, form?: Record<string, string>): Promise<Response> {
    const cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      this.#cookies.set(pair!.slice(0, at).trim(), pair!.slice(at + 1));
    }
    return response;
  }
}

const field = (html: string, name: string) => {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  assert.ok(match, `no ${name} field in: ${html.slice(0, 300)}`);
  return match[1]!;
};
const action = (html: string) => /<form[^>]*action="([^"]+)"/.exec(html)![1]!.replaceAll('&amp;', '&');

/** Signs `upn` in at `verificationUri` (the provider's /device) for the CLI that printed `userCode`. */
export async function completeDeviceSignIn(args: { verificationUri: string; userCode: string; upn: string }) {
  const browser = new Browser();
  const entry = await browser.go(args.verificationUri);
  const xsrf = field(entry.html, 'xsrf');
  const confirm = await browser.go(new URL(action(entry.html), entry.url).href, { xsrf, user_code: args.userCode });
  assert.match(confirm.html, new RegExp(args.userCode), 'the confirmation shows the code');
  const form = { xsrf: field(confirm.html, 'xsrf'), user_code: field(confirm.html, 'user_code'), confirm: 'yes' };
  const login = await browser.go(new URL(action(confirm.html), confirm.url).href, form);
  const done = await browser.go(new URL(action(login.html), login.url).href, {
    login: args.upn,
    password: DEMO_PASSWORD,
  });
  assert.match(done.html, /id="signed-in"/, `not signed in: ${done.html.slice(0, 300)}`);
}

/**
 * Runs a CLI command that signs in with the device code (given a hook on its stderr lines) and completes the sign-in
 * it prompts for ("To sign in, open <uri> and enter code <code>") as `upn`; what the command ended with.
 */
export async function withDeviceSignIn<T extends { err: string }>(
  command: (onErr: (line: string) => void) => Promise<T>,
  upn: string,
): Promise<T> {
  let prompted: (found: { uri: string; code: string }) => void;
  const prompt = new Promise<{ uri: string; code: string }>((resolve) => (prompted = resolve));
  const run = command((line) => {
    const match = /^To sign in, open (\S+) and enter code (\S+)$/.exec(line);
    if (match) prompted({ uri: match[1]!, code: match[2]! });
  });
  const ended = run.then((r) => Promise.reject(new Error(`the CLI ended without a sign-in prompt: ${r.err}`)));
  const { uri, code } = await Promise.race([prompt, ended]);
  await completeDeviceSignIn({ verificationUri: uri, userCode: code, upn });
  return run;
}
