# The release worker. Build: docker build -t defender-isolation-worker .  (docker-compose.yml builds it too.)
FROM node:20.20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# No postinstall here: the worker talks to an external Temporal server and needs no local Temporal CLI.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY activities ./activities
COPY workflows ./workflows
COPY worker ./worker
COPY simulator ./simulator
COPY client ./client
# The workflows are bundled once here, not by webpack at every start (less memory, faster start).
RUN node --import tsx worker/bundle-workflows.ts /app/.cache/workflow-bundle.js
ENV WORKFLOW_BUNDLE_PATH=/app/.cache/workflow-bundle.js
USER node
# Prometheus metrics (METRICS_BIND_ADDRESS=0.0.0.0:9464).
EXPOSE 9464
CMD ["node", "--import", "tsx", "worker/main.ts"]
