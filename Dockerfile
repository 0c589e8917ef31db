# Task service image: one image for api, relay, worker and the migrate job; docker-compose.yml and
# the Kubernetes manifests (deploy/kubernetes) pick the entry point per service.
# Build: docker build -t task-service .

# Stage 1: every dependency, and TypeScript compiled to dist/ (tsconfig.build.json leaves out
# the tests and *.spec.ts), with the web dashboard (scripts/build.mjs).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/build.mjs
COPY apps ./apps
COPY libs ./libs
COPY migrations ./migrations
RUN npm run build

# Stage 2: the production dependencies only, without install scripts (no production dependency
# needs one). TypeScript is an optional peer of @nestjs/swagger, used by its build-time compiler
# plugin only; the lockfile keeps it because it is a root devDependency: 31 MB the apps never load.
FROM node:20-bookworm-slim AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/typescript node_modules/@typescript \
  && npm cache clean --force

# Stage 3: what runs. package.json stays (its "imports" field maps #config, #database, ... to
# ./dist/libs/...). Files belong to root and are read-only to the app, which runs as uid 1000 (the
# image's node user, numeric so that Kubernetes' runAsNonRoot can verify it); nothing is written
# at run time, so a read-only root filesystem works.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY scripts/healthcheck.mjs ./scripts/healthcheck.mjs
# Fails the build if an app's module graph needs something the production install left out.
RUN node --input-type=module -e "for (const app of ['api/src/api', 'relay/src/relay', 'worker/src/worker']) await import('./dist/apps/' + app + '.module.js');"
USER 1000:1000
# 3000: the api; 3001: /health, /ready and /metrics of relay and worker (HEALTH_CHECK_PORT).
EXPOSE 3000 3001
# GET /health on API_PORT or HEALTH_CHECK_PORT, whichever this container's app serves.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "scripts/healthcheck.mjs"]
CMD ["node", "dist/apps/api/src/main.js"]
