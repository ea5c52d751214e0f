# Static pgtls_exporter in a small non-root image.
#   docker build -t pgtls_exporter .
#   docker run -p 9871:9871 -v $PWD/certs:/etc/pgtls_exporter/certs:ro \
#     -v $PWD/config.yml:/etc/pgtls_exporter/config.yml:ro pgtls_exporter
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Build information, as `make build` sets it (CGO_ENABLED=0); empty arguments
# are taken from the git checkout when .git is in the context, else from what
# Go embeds: docker build --build-arg VERSION=v1.2.3 --build-arg REVISION=... --build-arg BRANCH=...
ARG VERSION=
ARG REVISION=
ARG BRANCH=
RUN make build BIN=/out/pgtls_exporter GO_BUILDFLAGS=-trimpath LDFLAGS="-s -w" \
      ${VERSION:+VERSION=$VERSION} ${REVISION:+REVISION=$REVISION} ${BRANCH:+BRANCH=$BRANCH}

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/pgtls_exporter /bin/pgtls_exporter
COPY config.example.yml /etc/pgtls_exporter/config.yml
WORKDIR /etc/pgtls_exporter
EXPOSE 9871
USER nonroot
ENTRYPOINT ["/bin/pgtls_exporter"]
CMD ["--config.file=/etc/pgtls_exporter/config.yml"]
