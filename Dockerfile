# clickhouse-backup-plugin: built with the Swift toolchain on Debian bookworm, run on
# bookworm-slim with only the C libraries it links (the Swift runtime is linked statically).
# Build: docker build -t clickhouse-backup-plugin .    Run: docker run -p 50051:50051 clickhouse-backup-plugin
# Kubernetes probes the gRPC health service (grpc.health.v1), so the image has no HEALTHCHECK.

FROM swift:6.3-bookworm AS build
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgrpc-dev libprotobuf-c-dev libcurl4-openssl-dev libexpat1-dev libyaml-dev libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Fuzz ./Fuzz
# SwiftPM loads every target of the package, test targets included.
COPY Tests ./Tests
# Linked as the Makefile's release target links it (lld, DT_RELR, the start-up functions first).
COPY scripts/release.order ./scripts/release.order
RUN swift build -c release --static-swift-stdlib --product clickhouse-backup-plugin \
        -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs \
        -Xlinker --symbol-ordering-file=/src/scripts/release.order -Xlinker --no-warn-symbol-ordering \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/clickhouse-backup-plugin" /out/clickhouse-backup-plugin

FROM debian:bookworm-slim
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="clickhouse-backup-plugin" \
      org.opencontainers.image.description="Backup plugin for the Altinity clickhouse-operator: ClickHouse BACKUP/RESTORE to S3 over gRPC" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/altinity/clickhouse-backup-plugin"
# Runtime libraries only: the gRPC C core, protobuf-c, libcurl (with OpenSSL), Expat, and CA roots.
# Versions are not pinned so that Debian's security updates land with every rebuild.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgrpc29 libprotobuf-c1 libcurl4 libexpat1 libyaml-0-2 libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/clickhouse-backup-plugin /usr/local/bin/clickhouse-backup-plugin
# A numeric non-root user (the chart sets runAsNonRoot), no shell needed at run time.
USER 65532:65532
# gRPC; the plaintext health-only port (--health-listen) and metrics (--metrics-listen) when enabled
EXPOSE 50051 50052 9464
ENTRYPOINT ["/usr/local/bin/clickhouse-backup-plugin", "serve"]
