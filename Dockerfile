# gambi's container image: one executable, run as a non-root user, rooms kept in /data.
#
#   docker build -t gambi .
#   docker run -p 3000:3000 -v gambi-data:/data gambi
#   docker buildx build --platform linux/amd64,linux/arm64 -t IMAGE --push .
#
# The build stage runs on the builder's own platform and cross-compiles for the image's
# (bun build --compile --target), so an arm64 image needs no emulation. The version it prints
# is package.json's unless GAMBI_VERSION says otherwise (.git is not in the build context);
# the release workflow passes the tag's.

ARG RUNTIME_IMAGE=gcr.io/distroless/base-debian12:nonroot

FROM --platform=$BUILDPLATFORM docker.io/library/node:20-bookworm-slim AS build
ARG TARGETARCH
ARG GAMBI_VERSION
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN case "$TARGETARCH" in amd64) target=linux-x64 ;; arm64) target=linux-arm64 ;; *) echo "no gambi build for $TARGETARCH" >&2; exit 1 ;; esac \
 && node_modules/.bin/bun scripts/build-binary.ts --target "$target" --outdir /tmp/bin ${GAMBI_VERSION:+--version "$GAMBI_VERSION"} \
 && mkdir -p /out/data && mv "/tmp/bin/gambi-$target" /out/gambi

# Distroless: glibc, CA certificates and a "nonroot" user (65532), no shell, no package manager.
FROM ${RUNTIME_IMAGE}
COPY --from=build /out/gambi /usr/local/bin/gambi
COPY --from=build --chown=65532:65532 /out/data /data
# `gambi upgrade` refuses here (pull a newer image instead); client commands run with
# `docker exec` and the health check talk to the hub in this container.
# Bun allows 256 fetches in flight per process unless this says more (read at start only): a
# hub in a container is often the one with many rooms (README, "Many requests at once").
ENV GAMBI_INSTALLED_BY=container \
    GAMBI_HUB_URL=http://127.0.0.1:3000 \
    BUN_CONFIG_MAX_HTTP_REQUESTS=4096
USER 65532:65532
EXPOSE 3000
VOLUME /data
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 CMD ["gambi", "health"]
# SIGTERM (docker stop) drains requests in flight for --shutdown-grace seconds, then exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["gambi"]
CMD ["hub", "--host", "0.0.0.0", "--data-dir", "/data"]
