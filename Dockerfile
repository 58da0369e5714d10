# The release worker. Build: docker build -t defender-isolation-worker .  (docker-compose.yml builds it too.)
# Stage 1 compiles the TypeScript and bundles the workflows once; the image runs plain JavaScript (no tsx loader thread,
# ~50 MB less) and no webpack at start (~110 MB less). See docs/performance.md, figure 4.
# Node 24, an LTS line (supported until April 2028); test/unit/deployment.test.ts holds both stages to one LTS base.
FROM node:24.19-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the worker talks to an external Temporal server and needs no local Temporal CLI.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY contract ./contract
COPY activities ./activities
COPY workflows ./workflows
COPY worker ./worker
COPY client ./client
# For compose's demo profile only (dist/dev/start.js) and the approvals page (dist/approvals/main.js): the shipped
# worker, dist/worker/main.js, never loads them.
COPY dev ./dev
COPY simulator ./simulator
COPY approvals ./approvals
RUN npm run build && node dist/worker/bundle-workflows.js /app/.cache/workflow-bundle.js

# The approvals page (docs/approvals.md), compose's `approvals` service: the build stage's full install holds its web
# framework and OpenID libraries, which the worker's image leaves out. Its key and public keys live in volumes.
FROM build AS approvals
ENV NODE_ENV=production
RUN mkdir -p /app/.data/public && chown -R node:node /app/.data
USER node
EXPOSE 8090 8091
CMD ["node", "dist/approvals/main.js"]

FROM node:24.19-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# The @temporalio/* packages are peer dependencies, installed with the others; the OpenTelemetry interceptor is an
# optional peer (tracing only), so it comes from the build stage, at the locked version.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /app/node_modules/@temporalio/interceptors-opentelemetry ./node_modules/@temporalio/interceptors-opentelemetry
COPY --from=build /app/dist ./dist
COPY --from=build /app/.cache/workflow-bundle.js ./.cache/workflow-bundle.js
ENV WORKFLOW_BUNDLE_PATH=/app/.cache/workflow-bundle.js
# Memory: releases spend their life waiting, so a bounded workflow cache costs no throughput; small V8 generations keep
# the heap the worker grows under a burst of starts from staying resident. Override either for bigger workers.
ENV WORKER_MAX_CACHED_WORKFLOWS=100
ENV NODE_OPTIONS="--max-old-space-size=256 --max-semi-space-size=2"
USER node
# Prometheus metrics (METRICS_BIND_ADDRESS=0.0.0.0:9464).
EXPOSE 9464
CMD ["node", "dist/worker/main.js"]
