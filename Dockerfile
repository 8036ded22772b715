# The ledger's image: compiled JavaScript (`npm run build`) on a production install (`npm ci --omit=dev`),
# run with plain node as an unprivileged user. test/e2e/production-install.test.ts makes the same
# install, puts the same build beside it and starts `serve` from it; test/e2e/build.test.ts checks the
# build alone. Three stages, so neither the compiler nor the C++ toolchain reaches the final image.

# 1. The build: the full install (TypeScript is a devDependency) compiles the sources to dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# Everything .dockerignore lets through: the compiler follows the CLI's import of bench/ (and its test
# support) for types, and the build then leaves both out of dist/.
COPY . .
RUN npm run build

# 2. The dependencies alone, native modules (better-sqlite3) built for this base image.
FROM node:20-bookworm-slim AS dependencies
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# 3. What runs: node_modules from 2, dist/ from 1, nothing else.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
# The data dir (keys file; SQLite files on the embedded default) belongs to the user the ledger runs as;
# a named volume mounted there starts with this ownership.
RUN mkdir -p /data && chown node:node /data
ENV LEDGER_DATA_DIR=/data HOST=0.0.0.0
USER node
EXPOSE 3000
ENTRYPOINT ["node", "dist/src/cli/ledger.js"]
CMD ["serve"]
