# Task service image: one image for api, relay, worker and the migrate job; docker-compose.yml
# picks the entry point per service. Build: docker build -t task-service .

# Stage 1: install every dependency and compile TypeScript to dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
COPY migrations ./migrations
RUN npm run build

# Stage 2: production dependencies, the compiled code and package.json (its "imports" field maps
# #config, #database, ... to ./dist/libs/...). Runs as the unprivileged node user.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
# 3000: the api; 3001: /health, /ready and /metrics of relay and worker (HEALTH_CHECK_PORT).
EXPOSE 3000 3001
CMD ["node", "dist/apps/api/src/main.js"]
