/**
 * The approvals page (Hono): security headers on every answer, form posts accepted from the page's own origin only
 * (Origin and Sec-Fetch-Site, on top of each form's synchronizer token), small bodies, and nothing cached.
 */
import { createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { csrf } from 'hono/csrf';
import { secureHeaders } from 'hono/secure-headers';
import type { PageDeps } from './context.js';
import { addApiRoutes } from './api-routes.js';
import { addDecisionRoutes } from './decision-routes.js';
import { addSignInRoutes } from './sign-in-routes.js';
import { INLINE_STYLE, messageView } from './views.js';

const styleHash = `'sha256-${createHash('sha256').update(INLINE_STYLE).digest('base64')}'`;

const isApi = (c: Context) => new URL(c.req.url).pathname.startsWith('/api/');

export function createApprovalsApp(deps: PageDeps): Hono {
  const app = new Hono();
  app.use(
    secureHeaders({
      referrerPolicy: 'no-referrer',
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: [styleHash],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    }),
  );
  app.use(async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });
  app.use(csrf({ origin: deps.origin, secFetchSite: 'same-origin' }));
  const tooLarge = (c: Context) =>
    isApi(c)
      ? c.json({ error: { type: 'InvalidInput', message: 'the body is too large' } }, 413)
      : c.html(messageView('Refused', 'Too large.'), 413);
  app.use(bodyLimit({ maxSize: 16 * 1024, onError: tooLarge }));
  app.get('/.well-known/jwks.json', (c) => c.json({ keys: [deps.key.publicJwk] }));
  addSignInRoutes(app, deps);
  addDecisionRoutes(app, deps);
  addApiRoutes(app, deps);
  app.onError((err, c) => {
    // The CSRF middleware's refusal (403) and the like: theirs to answer.
    if (err instanceof HTTPException) return err.getResponse();
    deps.log(`approvals page: ${c.req.method} ${new URL(c.req.url).pathname} failed: ${err.name}`);
    if (isApi(c)) return c.json({ error: { type: 'Error', message: 'something went wrong; try again' } }, 500);
    return c.html(messageView('Error', 'Something went wrong; try again.'), 500);
  });
  return app;
}
