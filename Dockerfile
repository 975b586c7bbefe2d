# The service's image: built from a clean clone with `docker build .` (or `docker compose up`).
#
# Two stages: compile with the Rust toolchain, run on a slim Debian with only the binary, as a
# user that is not root. The build context is the repository (see .dockerignore); a test
# (tests/build_context.rs) checks that the paths copied below hold everything the workspace
# needs to build.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Every member of the workspace, and the files the binary embeds (GraphiQL's assets).
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migration ./migration
COPY app ./app
COPY bench/loadgen ./bench/loadgen
COPY assets ./assets
RUN cargo build --release --locked -p resilience-hub-app --bin resilience-hub

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/resilience-hub --create-home hub
COPY --from=build /src/target/release/resilience-hub /usr/local/bin/resilience-hub
USER 10001:10001
WORKDIR /var/lib/resilience-hub
# Production by default: the service refuses to start without a configured key, issuer and
# audience (it never signs with the built-in development key on a network).
ENV APP_ENV=production \
    BIND_ADDR=0.0.0.0:8080 \
    LOG_FORMAT=json
EXPOSE 8080
# The binary asks itself: GET /readyz, answered 200 only while the database answers.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["resilience-hub", "health"]
ENTRYPOINT ["resilience-hub"]
CMD ["serve"]
