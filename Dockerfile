# The Trellis gateway image: one static binary, CA certificates, nothing else (no shell, no libc).
#
#   make image                      # = make image-context && docker build -f Dockerfile bin/image
#
# The build context is bin/image/, which `make image-context` fills: the gateway built by `make build`
# (CGO_ENABLED=0, -trimpath) and the build machine's CA bundle, so that TLS to upstreams, JWKS and OTLP
# endpoints verifies. Building the image pulls nothing from a registry: FROM scratch is no image.
#
# Run it with a config file mounted at /etc/trellis/trellis.yaml whose server.addr listens on all
# interfaces (e.g. 0.0.0.0:8080; the built-in default is loopback only); deploy/helm/trellis does this.
FROM scratch

COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY gateway /gateway

# Not root: a fixed numeric uid/gid (scratch has no /etc/passwd), the "nonroot" id of distroless images.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/gateway"]
CMD ["serve", "-config", "/etc/trellis/trellis.yaml"]
