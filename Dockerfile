# Static pgtls_exporter in a small non-root image.
#   docker build -t pgtls_exporter .
#   docker run -p 9871:9871 -v $PWD/certs:/etc/pgtls_exporter/certs:ro \
#     -v $PWD/config.yml:/etc/pgtls_exporter/config.yml:ro pgtls_exporter
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION}" \
      -o /out/pgtls_exporter .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/pgtls_exporter /bin/pgtls_exporter
COPY config.example.yml /etc/pgtls_exporter/config.yml
WORKDIR /etc/pgtls_exporter
EXPOSE 9871
USER nonroot
ENTRYPOINT ["/bin/pgtls_exporter"]
CMD ["--config.file=/etc/pgtls_exporter/config.yml"]
