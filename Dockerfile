# Multi-stage build: compile with the Rust toolchain, run on a slim Debian with only the binary.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY migration ./migration
COPY src ./src
RUN cargo build --release --locked --bin resilience-hub

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/resilience-hub --create-home hub
COPY --from=build /src/target/release/resilience-hub /usr/local/bin/resilience-hub
USER hub
WORKDIR /var/lib/resilience-hub
ENV APP_ENV=production \
    BIND_ADDR=0.0.0.0:8080 \
    LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["resilience-hub"]
CMD ["serve"]
