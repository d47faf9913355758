# Lodestone's speaker image: Node and the speaker bundle with the two native addons it loads, nothing
# else (no node_modules, no TypeScript, no tests). The bundle is made ahead of time by hack/build.mjs
# (docs/adr/0010-production-code-is-bundled-ahead-of-time.md). The controller is not in here: it runs
# in Pepr's controller image, its code shipped in the module Secret by `pepr build`.
#
#   docker build -t ghcr.io/lodestone/speaker:0.1.0 .
#
# Stage 1 (full Debian 12 Node image: gcc, make, python3 and Node's headers) builds the addon and the
# bundle; stage 2 is distroless Node on the same Debian 12 (glibc matches the addon), non-root.

ARG NODE_MAJOR=24

FROM node:${NODE_MAJOR}-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY native/ native/
COPY hack/build.mjs hack/build.mjs
# capabilities/: only the speaker's tables (l2-announcer, bgp) end up in the bundle.
COPY capabilities/ capabilities/
COPY core/ core/
COPY protocols/ protocols/
COPY kube/ kube/
COPY observability/ observability/
# controller/: the Event and ConfigurationState helpers the speaker shares with the controller.
COPY controller/ controller/
COPY crds/ crds/
COPY speaker/ speaker/
# Scripts run one by one: the addon (native/install.cjs), then the speaker bundle with both addons beside it.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && node native/install.cjs \
 && node hack/build.mjs speaker \
 && test -f build/speaker/lodestone_native.node \
 && test -f build/speaker/netlink.node

FROM gcr.io/distroless/nodejs${NODE_MAJOR}-debian12:nonroot
# OCI labels: where the image comes from and which commit it is. Build with
#   --build-arg VERSION=$(node -p 'require("./package.json").version') --build-arg REVISION=$(git rev-parse HEAD)
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="lodestone-speaker" \
      org.opencontainers.image.description="Lodestone's speaker: ARP/NDP and BGP/BFD for LoadBalancer Services" \
      org.opencontainers.image.source="https://github.com/lodestone/lodestone" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
COPY --from=build /app/build/speaker/ ./
# Non-root by default. The DaemonSet runs the speaker as uid 0 with every capability dropped but
# NET_RAW (deploy/speaker-daemonset.ts says why a non-root process cannot use it).
USER 65532:65532
# 7472: metrics and probes; 7946/udp: heartbeats between speakers.
EXPOSE 7472/tcp 7946/udp
# Memory settings (docs/benchmarks.md, memory; hack/bench/memory.ts runs the speaker with these):
# two malloc arenas instead of eight per core, where TLS and HTTP buffers otherwise fragment; blocks of
# 64 KiB and more (list bodies, their parsed text) mapped on their own and returned when freed, instead
# of glibc raising that threshold to 32 MiB and keeping them in its heap; a 1 MiB young generation
# (V8 grows it to 16 MiB under bursts, then keeps it); the old generation allowed to grow 25 % past
# the live objects before a full collection, instead of up to several times; and V8's lite mode (no
# optimizing compilers, feedback allocated lazily): 5 MiB less idle, 20 MiB less at 1,000 Services,
# for JavaScript that runs slower (an ARP decision 4.6 us instead of 0.25; the speaker's work is
# mostly waiting and native code); and the bytecode of a function not run since the last full
# collection dropped at the next (V8 waits for 6): start-up code, 1.6 MiB idle, is not kept (a function
# run again is compiled again, microseconds). The BFD process the speaker forks runs with the same flags.
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=65536
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=1", "--heap-growing-percent=25", "--lite-mode", "--bytecode-old-age=1", "main.cjs"]
