# vastleaks container image: a static (musl) vastleaks on Alpine, with git for the
# history and CI modes. Build (from this directory; no Rust needed on the host):
#
#   docker build -t vastleaks .
#   docker run --rm -u "$(id -u):$(id -g)" -v "$PWD:/src" vastleaks scan --git .
#
# Run it as the owner of the mounted repository (-u): git refuses to work in a
# repository owned by another user, and the image deliberately does not lift
# that check (safe.directory), since the repository's .git/config is untrusted.
#
# The release workflow builds it for linux/amd64 and linux/arm64 and pushes
# ghcr.io/OWNER/vastleaks:VERSION. The pre-commit hook `vastleaks-docker` runs it.

# --- build: a static binary, from the locked dependencies -------------------
FROM rust:1.95-alpine3.23 AS build
# musl-dev: the C runtime ring's assembly links against.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev
WORKDIR /build
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY rules ./rules
COPY benches ./benches
COPY schemas ./schemas
RUN cargo build --locked --profile dist \
    && cp target/dist/vastleaks /usr/local/bin/vastleaks \
    && /usr/local/bin/vastleaks --version

# --- run: the binary, git and CA certificates, as an unprivileged user --------
FROM alpine:3.23
# The Alpine release (pinned by the tag) fixes the package versions' series;
# patch releases of git and the CA bundle are wanted, so they are not pinned.
# hadolint ignore=DL3018
RUN apk add --no-cache git ca-certificates \
    && adduser -D -u 10001 -h /home/vastleaks vastleaks
COPY --from=build /usr/local/bin/vastleaks /usr/local/bin/vastleaks
COPY LICENSE-MIT LICENSE-APACHE /usr/share/licenses/vastleaks/
USER 10001:10001
WORKDIR /src
ENTRYPOINT ["vastleaks"]
CMD ["scan", "."]
