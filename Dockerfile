# Lodestone's speaker image: the speaker process (speaker/main.ts, run by tsx as everything in this
# repository is, see docs/adr/0004) with the native AF_PACKET / TCP-MD5 addon built for this image.
# The controller is not in here: it runs in Pepr's controller image, its code shipped in the module
# Secret by `pepr build`.
#
#   docker build -t ghcr.io/lodestone/speaker:0.1.0 .
#
# Stage 1 has the compiler; stage 2 has only Node, the production dependencies and the sources.

ARG NODE_VERSION=20.20

FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /app
# The full Debian image ships gcc, make and python3; node-gyp takes the headers of this Node
# (/usr/local/include/node), so nothing is downloaded while building the addon.
COPY package.json package-lock.json ./
COPY native/ native/
# npm ci runs the package's install hook, which builds native/build/Release/lodestone_native.node.
RUN npm ci --no-audit --no-fund \
 && test -f native/build/Release/lodestone_native.node \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/native/build/Release/lodestone_native.node native/build/Release/lodestone_native.node
COPY package.json tsconfig.json ./
COPY native/*.ts native/
COPY capabilities/ capabilities/
COPY crds/ crds/
COPY speaker/ speaker/
# Non-root by default. The DaemonSet runs the speaker as uid 0 with every capability dropped but
# NET_RAW (capabilities/deploy/speaker-daemonset.ts says why a non-root process cannot use it).
USER 65532:65532
# 7472: metrics and probes; 7946/udp: heartbeats between speakers.
EXPOSE 7472/tcp 7946/udp
ENTRYPOINT ["node", "--import", "tsx", "speaker/main.ts"]
