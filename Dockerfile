# The ledger's image: the same sources as `npm start`, run through tsx (a dependency), with the dependencies alone:
# test/e2e/production-install.test.ts makes the same `npm ci --omit=dev` install and starts `ledger serve` from it.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
 && npm ci --omit=dev && apt-get purge -y python3 make g++ && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
COPY bin ./bin
COPY src ./src
COPY commands ./commands
COPY events ./events
COPY projections ./projections
COPY openapi ./openapi
USER node
EXPOSE 3000
ENTRYPOINT ["node", "bin/ledger.mjs"]
CMD ["serve"]
